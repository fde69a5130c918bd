#include "newjobdialog.h"

#include "colours.h"
#include "crawler/crawlparams.h"
#include "jobs/jobspec.h"
#include "runners/localrunner.h"
#include "session/session.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QVBoxLayout>

namespace cd::ui {

namespace {
const QString kKeywords = QStringLiteral("keywords");
const QString kStartUrls = QStringLiteral("start_urls");
const QString kProfile = QStringLiteral("profile");
const QString kDomainCount = QStringLiteral("domain_count");

// The built-in crawler's parameters that have a field of their own.
const QString kMaxPages = QStringLiteral("max_pages");
const QString kMaxDepth = QStringLiteral("max_depth");
const QString kDelay = QStringLiteral("delay_ms");
const QString kConcurrency = QStringLiteral("concurrency");
const QString kSameSite = QStringLiteral("same_site_only");
const QString kUserAgent = QStringLiteral("user_agent");

QString backendLabel(model::Backend b)
{
    switch (b) {
    case model::Backend::Local: return NewJobDialog::tr("Local crawler");
    case model::Backend::RunPod: return NewJobDialog::tr("RunPod serverless");
    case model::Backend::RunPodPod: return NewJobDialog::tr("RunPod pod");
    }
    return {};
}

QString backendNote(model::Backend b)
{
    switch (b) {
    case model::Backend::Local:
        return NewJobDialog::tr("Runs on this machine as the profile's command; what it writes to its output "
                                "folder becomes the job's artifacts.");
    case model::Backend::RunPod:
        return NewJobDialog::tr("Sent to the RunPod serverless endpoint; the result comes back from RunPod. Its "
                                "worker posts log lines to the job's callback URL, which must be reachable from "
                                "RunPod (Details shows it).");
    case model::Backend::RunPodPod:
        return NewJobDialog::tr("POSTed to the pod's /process; the pod's answer is the result. Its worker posts log "
                                "lines to the job's callback URL (Details shows it).");
    }
    return {};
}

QSpinBox *spin(QWidget *parent, int min, int max, int value, const QString &suffix = {})
{
    auto *s = new QSpinBox(parent);
    s->setRange(min, max);
    s->setValue(value);
    s->setSuffix(suffix);
    s->setMinimumWidth(110);
    return s;
}
} // namespace

NewJobDialog::NewJobDialog(const QList<BackendChoice> &backends, const QStringList &profiles, session::Session *session,
                           QWidget *parent)
    : QDialog(parent), m_backends(backends), m_session(session)
{
    setWindowTitle(tr("New job"));
    setMinimumWidth(580);
    const crawler::CrawlParams defaults; // the API's defaults, from the parser the crawler uses
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);

    m_backend = new QComboBox(this);
    auto *items = new QStandardItemModel(m_backend);
    for (const auto &b : backends) {
        auto *item = new QStandardItem(backendLabel(b.backend));
        item->setData(static_cast<int>(b.backend), Qt::UserRole);
        item->setEnabled(b.available);
        if (!b.available)
            item->setToolTip(b.reason);
        items->appendRow(item);
    }
    m_backend->setModel(items);
    form->addRow(tr("&Backend:"), m_backend);
    // Below the fields (a wrapped label inside a form row gets too little height).
    m_backendNote = new QLabel(this);
    m_backendNote->setWordWrap(true);

    m_profile = new QComboBox(this);
    m_profile->addItems(profiles);
    if (!profiles.contains(jobs::kExternalProfile)) {
        m_profile->addItem(jobs::kExternalProfile);
        m_profile->setItemData(m_profile->count() - 1,
                               tr("No process starts: an outside worker posts the job's log lines to its callback URL"),
                               Qt::ToolTipRole);
    }
    m_profile->setCurrentText(runners::LocalRunner::kDefaultProfile);
    m_profileLabel = new QLabel(tr("&Profile:"), this);
    m_profileLabel->setBuddy(m_profile);
    form->addRow(m_profileLabel, m_profile);

    m_keywords = new QLineEdit(this);
    m_keywords->setPlaceholderText(tr("comma-separated, e.g. solar panels, heat pumps"));
    form->addRow(tr("&Keywords:"), m_keywords);

    m_domains = spin(this, 1, 100000, defaults.domainCount);
    form->addRow(tr("&Domains wanted:"), m_domains);

    m_startUrls = new QPlainTextEdit(this);
    m_startUrls->setPlaceholderText(tr("one URL per line; https:// is added when no scheme is given"));
    m_startUrls->setFixedHeight(72);
    form->addRow(tr("&Start URLs:"), m_startUrls);

    // The built-in crawler's parameters, with its own defaults.
    // Two columns: the dialog stays short enough for a laptop screen.
    auto *crawlerBox = new QGroupBox(tr("Built-in crawler"), this);
    m_crawlerBox = crawlerBox;
    auto *grid = new QGridLayout(crawlerBox);
    auto place = [crawlerBox, grid](int row, int column, const QString &label, QWidget *field, int span = 1) {
        auto *l = new QLabel(label, crawlerBox);
        l->setBuddy(field);
        grid->addWidget(l, row, column * 2);
        grid->addWidget(field, row, column * 2 + 1, 1, span);
    };
    m_maxPages = spin(crawlerBox, 1, 10000000, defaults.maxPages, tr(" pages"));
    m_maxPages->setToolTip(tr("Page budget: the crawl stops after fetching this many pages"));
    place(0, 0, tr("&Max pages:"), m_maxPages);
    m_maxDepth = spin(crawlerBox, 0, 1000, defaults.maxDepth, tr(" links"));
    m_maxDepth->setToolTip(tr("How many links away from a start URL it goes"));
    place(0, 1, tr("D&epth:"), m_maxDepth);
    m_delay = spin(crawlerBox, 0, 600000, defaults.delayMs, tr(" ms"));
    m_delay->setToolTip(tr("Between two requests to one host (a robots.txt Crawl-delay may raise it)"));
    place(1, 0, tr("De&lay per host:"), m_delay);
    m_concurrency = spin(crawlerBox, 1, 256, defaults.concurrency, tr(" at once"));
    m_concurrency->setToolTip(tr("Requests in flight overall"));
    place(1, 1, tr("&Concurrency:"), m_concurrency);
    m_userAgent = new QLineEdit(crawlerBox);
    m_userAgent->setPlaceholderText(defaults.userAgent);
    place(2, 0, tr("&User agent:"), m_userAgent, 3);
    m_sameSite = new QCheckBox(tr("Same site &only: stay on the start URLs' sites"), crawlerBox);
    m_sameSite->setChecked(defaults.sameSiteOnly);
    grid->addWidget(m_sameSite, 3, 1, 1, 3);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    form->addRow(crawlerBox);

    // Advanced, on one line.
    auto *advanced = new QWidget(this);
    auto *advancedRow = new QHBoxLayout(advanced);
    advancedRow->setContentsMargins(0, 0, 0, 0);
    m_priority = spin(advanced, -1000, 1000, 1);
    // Qt 6.4 leaves the text empty for the initial 0 once the range goes negative; nudge it.
    m_priority->setValue(0);
    m_priority->setMinimumWidth(70);
    m_priority->setToolTip(tr("Priority: higher runs first among queued jobs of the same backend"));
    m_timeout = spin(advanced, 0, 30 * 24 * 3600, 0, tr(" s"));
    m_timeout->setSpecialValueText(tr("no limit"));
    m_timeout->setToolTip(tr("Timeout: past it the job is stopped and ends timed out"));
    m_attempts = spin(advanced, 1, 20, 1);
    m_attempts->setMinimumWidth(60);
    m_attempts->setToolTip(tr("Max attempts: a failed or timed-out job is retried up to this many times"));
    for (const auto &[label, box] : {std::pair{tr("P&riority:"), m_priority}, std::pair{tr("&Timeout:"), m_timeout},
                                     std::pair{tr("Max &attempts:"), m_attempts}}) {
        auto *l = new QLabel(label, advanced);
        l->setBuddy(box);
        advancedRow->addWidget(l);
        advancedRow->addWidget(box);
        advancedRow->addSpacing(8);
    }
    advancedRow->addStretch(1);
    form->addRow(tr("Advanced:"), advanced);

    m_rawParams = new QPlainTextEdit(this);
    m_rawParams->setPlaceholderText(
        tr("anything else the worker reads, as a JSON object, e.g. { \"timeout_s\": 30 }; it wins over the fields"));
    m_rawParams->setFixedHeight(64);
    form->addRow(tr("Extra &params:"), m_rawParams);

    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::RichText);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Start job"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_backendNote);
    layout->addWidget(m_error);
    layout->addStretch(1);
    layout->addWidget(m_buttons);

    auto edited = [this] {
        m_touched = true;
        validate();
    };
    connect(m_backend, &QComboBox::currentIndexChanged, this, [this] { validate(); });
    connect(m_profile, &QComboBox::currentIndexChanged, this, [this] { validate(); });
    connect(m_keywords, &QLineEdit::textChanged, this, edited);
    connect(m_startUrls, &QPlainTextEdit::textChanged, this, edited);
    connect(m_rawParams, &QPlainTextEdit::textChanged, this, edited);
    connect(m_userAgent, &QLineEdit::textChanged, this, edited);
    connect(m_sameSite, &QCheckBox::toggled, this, edited);
    for (QSpinBox *s : {m_domains, m_maxPages, m_maxDepth, m_delay, m_concurrency, m_priority, m_timeout, m_attempts})
        connect(s, &QSpinBox::valueChanged, this, edited);
    validate();
}

void NewJobDialog::prefill(const model::Job &job)
{
    const int idx = m_backend->findData(static_cast<int>(job.backend), Qt::UserRole);
    if (idx >= 0)
        m_backend->setCurrentIndex(idx);
    const QJsonObject &p = job.params;
    const QString profile = p.value(kProfile).toString();
    if (!profile.isEmpty())
        m_profile->setCurrentText(profile);
    QStringList kw;
    for (const auto &k : p.value(kKeywords).toArray())
        kw << k.toString();
    m_keywords->setText(kw.join(QStringLiteral(", ")));
    m_domains->setValue(p.value(kDomainCount).toInt(m_domains->value()));
    QStringList urls;
    for (const auto &u : p.value(kStartUrls).toArray())
        urls << u.toString();
    m_startUrls->setPlainText(urls.join(u'\n'));
    QJsonObject extra = p;
    for (const QString &known : {kKeywords, kDomainCount, kStartUrls, kProfile})
        extra.remove(known);
    if (crawlerFields()) {
        const std::pair<const QString &, QSpinBox *> ints[] = {
            {kMaxPages, m_maxPages}, {kMaxDepth, m_maxDepth}, {kDelay, m_delay}, {kConcurrency, m_concurrency}};
        for (const auto &[key, box] : ints)
            if (extra.value(key).isDouble())
                box->setValue(extra.take(key).toInt());
        if (extra.value(kSameSite).isBool())
            m_sameSite->setChecked(extra.take(kSameSite).toBool());
        if (extra.value(kUserAgent).isString())
            m_userAgent->setText(extra.take(kUserAgent).toString());
    }
    m_timeout->setValue(job.timeoutS);
    m_attempts->setValue(job.maxAttempts);
    m_priority->setValue(job.priority);
    m_rawParams->setPlainText(extra.isEmpty() ? QString()
                                              : QString::fromUtf8(QJsonDocument(extra).toJson(QJsonDocument::Compact)));
}

bool NewJobDialog::local() const
{
    return static_cast<model::Backend>(m_backend->currentData(Qt::UserRole).toInt()) == model::Backend::Local;
}

bool NewJobDialog::crawlerFields() const
{
    return local() && m_profile->currentText() == runners::LocalRunner::kDefaultProfile;
}

QString NewJobDialog::completeUrl(const QString &typed)
{
    const QString t = typed.trimmed();
    return t.isEmpty() || t.contains(QStringLiteral("://")) ? t : QStringLiteral("https://") + t;
}

QStringList NewJobDialog::startUrls() const
{
    QStringList out;
    for (const QString &line : m_startUrls->toPlainText().split(u'\n', Qt::SkipEmptyParts))
        if (!line.trimmed().isEmpty())
            out << completeUrl(line);
    return out;
}

std::variant<QJsonObject, QString> NewJobDialog::extraParams() const
{
    const QString raw = m_rawParams->toPlainText().trimmed();
    if (raw.isEmpty())
        return QJsonObject();
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(raw.toUtf8(), &err);
    if (err.error != QJsonParseError::NoError)
        return tr("Extra params: %1 at character %2.").arg(err.errorString()).arg(err.offset);
    if (!doc.isObject())
        return tr("Extra params must be a JSON object.");
    return doc.object();
}

QJsonObject NewJobDialog::buildBody(bool skipBadUrls) const
{
    const auto backend = static_cast<model::Backend>(m_backend->currentData(Qt::UserRole).toInt());
    QJsonObject b{{QStringLiteral("backend"), model::toString(backend)},
                  {kDomainCount, m_domains->value()},
                  {QStringLiteral("priority"), m_priority->value()},
                  {QStringLiteral("timeout_s"), m_timeout->value()},
                  {QStringLiteral("max_attempts"), m_attempts->value()}};
    QJsonArray kw;
    for (const QString &k : m_keywords->text().split(u',', Qt::SkipEmptyParts))
        if (!k.trimmed().isEmpty())
            kw.append(k.trimmed());
    b.insert(kKeywords, kw);
    QJsonArray urls;
    for (const QString &u : startUrls())
        if (!skipBadUrls || jobs::fromJson(QJsonObject{{kStartUrls, QJsonArray{u}}}, jobs::Origin::Api))
            urls.append(u);
    if (!urls.isEmpty())
        b.insert(kStartUrls, urls);
    if (backend == model::Backend::Local)
        b.insert(kProfile, m_profile->currentText());
    QJsonObject params;
    if (crawlerFields()) {
        params = QJsonObject{{kMaxPages, m_maxPages->value()},
                             {kMaxDepth, m_maxDepth->value()},
                             {kDelay, m_delay->value()},
                             {kConcurrency, m_concurrency->value()},
                             {kSameSite, m_sameSite->isChecked()}};
        if (!m_userAgent->text().trimmed().isEmpty())
            params.insert(kUserAgent, m_userAgent->text().trimmed());
    }
    const auto extra = extraParams();
    if (const auto *o = std::get_if<QJsonObject>(&extra))
        for (auto it = o->begin(); it != o->end(); ++it)
            params.insert(it.key(), it.value());
    if (!params.isEmpty())
        b.insert(QStringLiteral("params"), params);
    return b;
}

QJsonObject NewJobDialog::body() const
{
    return buildBody(false);
}

QStringList NewJobDialog::localErrors(std::optional<model::JobSpec> *rest, QJsonObject *sent) const
{
    QStringList errors;
    // The dialog asks for keywords even where the API would not: a job without them finds nothing.
    if (m_keywords->text().split(u',', Qt::SkipEmptyParts).join(QString()).trimmed().isEmpty())
        errors << tr("Enter at least one keyword.");
    // Each line on its own through the one validation, so that every bad line is named.
    const QStringList urls = startUrls();
    for (qsizetype i = 0; i < urls.size(); ++i)
        if (const auto s = jobs::fromJson(QJsonObject{{kStartUrls, QJsonArray{urls.at(i)}}}, jobs::Origin::Api); !s)
            errors << tr("Start URL %1: %2").arg(i + 1).arg(s.error().detail);
    const auto extra = extraParams();
    if (const auto *why = std::get_if<QString>(&extra))
        errors << *why;
    // The rest of the body, with what was already reported left out.
    const QJsonObject b = buildBody(true);
    if (sent)
        *sent = b;
    const auto s = jobs::fromJson(b, jobs::Origin::Api);
    if (!s)
        errors << s.error().detail;
    else if (rest)
        *rest = s.value();
    return errors;
}

QStringList NewJobDialog::errors() const
{
    QJsonObject sent;
    QStringList errors = localErrors(nullptr, &sent);
    if (sent != m_checkedBody || m_checkError.isEmpty())
        return errors;
    // The service's answer about the same fields; parts about fields already named above are left
    // out (the crawler's parser names every problem, "; " apart).
    if (errors.isEmpty())
        return {m_checkError};
    QStringList parts;
    for (const QString &part : m_checkError.split(QStringLiteral("; ")))
        if (!part.startsWith(QStringLiteral("'keywords'")) && !part.startsWith(QStringLiteral("'start_urls'")) &&
            !part.startsWith(QStringLiteral("start URL")))
            parts << part;
    if (!parts.isEmpty())
        errors << parts.join(QStringLiteral("; "));
    return errors;
}

std::variant<model::JobSpec, QString> NewJobDialog::spec() const
{
    const QStringList problems = errors();
    if (!problems.isEmpty())
        return problems.join(u'\n');
    const auto s = jobs::fromJson(body(), jobs::Origin::Api);
    if (!s)
        return s.error().detail;
    return s.value();
}

QString NewJobDialog::note() const
{
    const auto backend = static_cast<model::Backend>(m_backend->currentData(Qt::UserRole).toInt());
    QStringList lines;
    for (const auto &b : m_backends)
        if (b.backend == backend)
            lines << (b.available ? backendNote(backend) : tr("Not available: %1").arg(b.reason));
    const bool external = local() && m_profile->currentText() == jobs::kExternalProfile;
    if (external)
        lines << tr("No process starts: the job will wait for an outside worker to post its log lines to the "
                    "job's callback URL (Details shows it, with a copy button), and completes with the "
                    "worker's [SUMMARY] line.");
    else if (startUrls().isEmpty() && crawlerFields())
        lines << tr("No start URLs: the built-in crawler needs at least one page to start from. For a job that "
                    "waits for an outside worker instead, choose the profile '%1'.")
                     .arg(jobs::kExternalProfile);
    int completed = 0;
    for (const QString &line : m_startUrls->toPlainText().split(u'\n', Qt::SkipEmptyParts))
        completed += completeUrl(line) != line.trimmed() ? 1 : 0;
    if (completed > 0)
        lines << tr("https:// is added to %n start URL(s) typed without a scheme.", nullptr, completed);
    return lines.join(u'\n');
}

void NewJobDialog::validate()
{
    const bool isLocal = local();
    m_profile->setVisible(isLocal);
    m_profileLabel->setVisible(isLocal);
    m_crawlerBox->setVisible(crawlerFields());
    std::optional<model::JobSpec> rest;
    QJsonObject sent;
    localErrors(&rest, &sent);
    if (m_session && rest && sent != m_checkedBody) {
        // Only the answer about the fields as they are now counts.
        const quint64 check = ++m_checks;
        m_session->validate(*rest, this, [this, check, sent](const Status &st) {
            if (check != m_checks)
                return;
            m_checkedBody = sent;
            m_checkError = st ? QString() : st.error().detail;
            showState();
        });
    }
    showState();
}

void NewJobDialog::showState()
{
    m_backendNote->setText(note());
    m_backendNote->setVisible(!m_backendNote->text().isEmpty());
    const QStringList problems = errors();
    QString html;
    if (m_touched && !problems.isEmpty()) {
        html = QStringLiteral("<ul style='margin-left:-24px'>");
        for (const QString &p : problems)
            html += QStringLiteral("<li>%1</li>").arg(p.toHtmlEscaped());
        html += QStringLiteral("</ul>");
    }
    m_error->setText(html);
    m_backendNote->setStyleSheet(QStringLiteral("color: %1").arg(palette().color(QPalette::PlaceholderText).name()));
    m_error->setStyleSheet(QStringLiteral("color: %1").arg(statusColour(model::JobStatus::Failed).name()));
    m_error->setVisible(!html.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problems.isEmpty());
}

} // namespace cd::ui

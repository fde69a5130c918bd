#include "newjobdialog.h"

#include "jobs/jobspec.h"
#include "session/session.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
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
QString backendLabel(model::Backend b)
{
    switch (b) {
    case model::Backend::Local: return NewJobDialog::tr("Local crawler");
    case model::Backend::RunPod: return NewJobDialog::tr("RunPod serverless");
    case model::Backend::RunPodPod: return NewJobDialog::tr("RunPod pod");
    }
    return {};
}
} // namespace

NewJobDialog::NewJobDialog(const QList<BackendChoice> &backends, const QStringList &profiles, session::Session *session,
                           QWidget *parent)
    : QDialog(parent), m_session(session)
{
    setWindowTitle(tr("New job"));
    setMinimumWidth(480);
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
    m_backendNote = new QLabel(this);
    m_backendNote->setWordWrap(true);
    m_backendNote->setStyleSheet(QStringLiteral("color: palette(mid)"));
    QStringList notes;
    for (const auto &b : backends)
        if (!b.available)
            notes << backendLabel(b.backend) + QStringLiteral(" — ") + b.reason;
    m_backendNote->setText(notes.join(u'\n'));
    m_backendNote->setVisible(!notes.isEmpty());
    form->addRow(QString(), m_backendNote);

    m_profile = new QComboBox(this);
    m_profile->addItems(profiles);
    m_profile->setCurrentText(QStringLiteral("crawler"));
    m_profileLabel = new QLabel(tr("&Profile:"), this);
    m_profileLabel->setBuddy(m_profile);
    form->addRow(m_profileLabel, m_profile);

    m_keywords = new QLineEdit(this);
    m_keywords->setPlaceholderText(tr("comma-separated, e.g. solar panels, heat pumps"));
    form->addRow(tr("&Keywords:"), m_keywords);

    m_domains = new QSpinBox(this);
    m_domains->setRange(1, 100000);
    m_domains->setValue(10);
    form->addRow(tr("&Domains wanted:"), m_domains);

    m_startUrls = new QPlainTextEdit(this);
    m_startUrls->setPlaceholderText(tr("one http(s) URL per line (the built-in crawler starts from these)"));
    m_startUrls->setFixedHeight(72);
    form->addRow(tr("&Start URLs:"), m_startUrls);

    auto *advanced = new QLabel(tr("<b>Advanced</b>"), this);
    form->addRow(advanced);
    m_priority = new QSpinBox(this);
    m_priority->setRange(-1000, 1000);
    // Qt 6.4 leaves the text empty for the initial 0 once the range goes negative; nudge it.
    m_priority->setValue(1);
    m_priority->setValue(0);
    m_priority->setToolTip(tr("Higher runs first among queued jobs of the same backend"));
    form->addRow(tr("P&riority:"), m_priority);

    m_timeout = new QSpinBox(this);
    m_timeout->setRange(0, 30 * 24 * 3600);
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setSpecialValueText(tr("no limit"));
    form->addRow(tr("&Timeout:"), m_timeout);

    m_attempts = new QSpinBox(this);
    m_attempts->setRange(1, 20);
    form->addRow(tr("Max &attempts:"), m_attempts);

    m_rawParams = new QPlainTextEdit(this);
    m_rawParams->setPlaceholderText(tr("{ \"max_pages\": 500, \"delay_ms\": 1000 }  — extra params as a JSON object"));
    m_rawParams->setFixedHeight(64);
    form->addRow(tr("Extra &params:"), m_rawParams);

    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #d03b3b"));
    m_error->setWordWrap(true);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Start job"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addStretch(1);
    layout->addWidget(m_buttons);
    for (QSpinBox *spin : {m_domains, m_priority, m_timeout, m_attempts})
        spin->setMinimumWidth(110);

    connect(m_backend, &QComboBox::currentIndexChanged, this, [this] { validate(); });
    connect(m_profile, &QComboBox::currentIndexChanged, this, [this] { validate(); });
    connect(m_keywords, &QLineEdit::textChanged, this, [this] { validate(); });
    connect(m_startUrls, &QPlainTextEdit::textChanged, this, [this] { validate(); });
    connect(m_rawParams, &QPlainTextEdit::textChanged, this, [this] { validate(); });
    validate();
}

void NewJobDialog::prefill(const model::Job &job)
{
    const int idx = m_backend->findData(static_cast<int>(job.backend), Qt::UserRole);
    if (idx >= 0)
        m_backend->setCurrentIndex(idx);
    const QString profile = job.params.value(QStringLiteral("profile")).toString();
    if (!profile.isEmpty())
        m_profile->setCurrentText(profile);
    QStringList kw;
    for (const auto &k : job.params.value(QStringLiteral("keywords")).toArray())
        kw << k.toString();
    m_keywords->setText(kw.join(QStringLiteral(", ")));
    m_domains->setValue(job.params.value(QStringLiteral("domain_count")).toInt(10));
    QStringList urls;
    for (const auto &u : job.params.value(QStringLiteral("start_urls")).toArray())
        urls << u.toString();
    m_startUrls->setPlainText(urls.join(u'\n'));
    m_timeout->setValue(job.timeoutS);
    m_attempts->setValue(job.maxAttempts);
    m_priority->setValue(job.priority);
    QJsonObject extra = job.params;
    for (const char *known : {"keywords", "domain_count", "start_urls", "profile"})
        extra.remove(QLatin1String(known));
    m_rawParams->setPlainText(extra.isEmpty() ? QString()
                                              : QString::fromUtf8(QJsonDocument(extra).toJson(QJsonDocument::Compact)));
}

QJsonObject NewJobDialog::body() const
{
    const auto backend = static_cast<model::Backend>(m_backend->currentData(Qt::UserRole).toInt());
    QJsonObject b{{QStringLiteral("backend"), model::toString(backend)},
                  {QStringLiteral("domain_count"), m_domains->value()},
                  {QStringLiteral("priority"), m_priority->value()},
                  {QStringLiteral("timeout_s"), m_timeout->value()},
                  {QStringLiteral("max_attempts"), m_attempts->value()}};
    QJsonArray kw;
    for (const QString &k : m_keywords->text().split(u',', Qt::SkipEmptyParts))
        if (!k.trimmed().isEmpty())
            kw.append(k.trimmed());
    b.insert(QStringLiteral("keywords"), kw);
    QJsonArray urls;
    for (const QString &line : m_startUrls->toPlainText().split(u'\n', Qt::SkipEmptyParts))
        if (!line.trimmed().isEmpty())
            urls.append(line.trimmed());
    if (!urls.isEmpty())
        b.insert(QStringLiteral("start_urls"), urls);
    if (backend == model::Backend::Local)
        b.insert(QStringLiteral("profile"), m_profile->currentText());
    return b;
}

std::variant<model::JobSpec, QString> NewJobDialog::requestSpec(QJsonObject *sent) const
{
    QJsonObject b = body();
    const QString raw = m_rawParams->toPlainText().trimmed();
    if (!raw.isEmpty()) {
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(raw.toUtf8(), &err);
        if (err.error != QJsonParseError::NoError)
            return tr("Extra params: %1 at character %2.").arg(err.errorString()).arg(err.offset);
        if (!doc.isObject())
            return tr("Extra params must be a JSON object.");
        b.insert(QStringLiteral("params"), doc.object());
    }
    // The dialog asks for keywords even where the API would not: a job without them finds nothing.
    if (b.value(QStringLiteral("keywords")).toArray().isEmpty())
        return tr("Enter at least one keyword.");
    if (sent)
        *sent = b;
    const auto s = jobs::fromJson(b, jobs::Origin::Api);
    if (!s)
        return s.error().detail;
    return s.value();
}

std::variant<model::JobSpec, QString> NewJobDialog::spec() const
{
    QJsonObject sent;
    auto s = requestSpec(&sent);
    if (std::holds_alternative<model::JobSpec>(s) && sent == m_checkedBody && !m_checkError.isEmpty())
        return m_checkError;
    return s;
}

void NewJobDialog::validate()
{
    const bool local =
        static_cast<model::Backend>(m_backend->currentData(Qt::UserRole).toInt()) == model::Backend::Local;
    m_profile->setVisible(local);
    m_profileLabel->setVisible(local);
    QJsonObject sent;
    const auto s = requestSpec(&sent);
    if (m_session && std::holds_alternative<model::JobSpec>(s) && sent != m_checkedBody) {
        // Only the answer about the fields as they are now counts.
        const quint64 check = ++m_checks;
        m_session->validate(std::get<model::JobSpec>(s), this, [this, check, sent](const Status &st) {
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
    const auto s = spec();
    const QString *err = std::get_if<QString>(&s);
    m_error->setText(err && (!m_keywords->text().isEmpty() || !m_rawParams->toPlainText().isEmpty()) ? *err
                                                                                                     : QString());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!err);
}

} // namespace cd::ui

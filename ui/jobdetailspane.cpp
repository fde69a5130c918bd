#include "jobdetailspane.h"

#include "artifactmodel.h"
#include "colours.h"
#include "jobs/jobspec.h"
#include "jsontreemodel.h"
#include "logconsole.h"
#include "runners/localrunner.h"
#include "session/session.h"

#include <QApplication>
#include <QClipboard>
#include <QDesktopServices>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QTextBrowser>
#include <QTreeView>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace cd::ui {

namespace {
QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}
QString when(const QDateTime &t)
{
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QStringLiteral("—");
}
} // namespace

JobDetailsPane::JobDetailsPane(session::Session *session, QWidget *parent) : QTabWidget(parent), m_session(session)
{
    m_console = new LogConsole(session, this);
    addTab(m_console, tr("&Log"));

    m_summary = new JsonTreeModel(this);
    m_summaryView = new QTreeView(this);
    m_summaryView->setModel(m_summary);
    m_summaryView->setAlternatingRowColors(true);
    m_summaryView->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    addTab(m_summaryView, tr("&Summary"));

    auto *artifactsTab = new QWidget(this);
    m_artifacts = new ArtifactModel(session, this);
    m_artifactView = new QTableView(artifactsTab);
    m_artifactView->setModel(m_artifacts);
    m_artifactView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_artifactView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_artifactView->verticalHeader()->hide();
    m_artifactView->horizontalHeader()->setStretchLastSection(true);
    m_artifactView->setColumnWidth(ArtifactModel::Name, 260);
    m_artifactView->setColumnWidth(ArtifactModel::Size, 90);
    m_artifactView->setColumnWidth(ArtifactModel::Type, 180);
    m_open = new QPushButton(tr("Open"), artifactsTab);
    m_saveAs = new QPushButton(tr("Save as…"), artifactsTab);
    m_reveal = new QPushButton(tr("Show in folder"), artifactsTab);
    m_fetchState = new QLabel(artifactsTab);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_open);
    buttons->addWidget(m_saveAs);
    buttons->addWidget(m_reveal);
    buttons->addWidget(m_fetchState);
    buttons->addStretch(1);
    auto *artLayout = new QVBoxLayout(artifactsTab);
    artLayout->setContentsMargins(0, 4, 0, 0);
    artLayout->addWidget(m_artifactView);
    artLayout->addLayout(buttons);
    addTab(artifactsTab, tr("&Artifacts"));

    auto *detailsTab = new QWidget(this);
    m_details = new QTextBrowser(detailsTab);
    m_details->setOpenLinks(false);
    m_callbackRow = new QWidget(detailsTab);
    auto *callbackLabel = new QLabel(tr("Callback URL:"), m_callbackRow);
    m_callbackEdit = new QLineEdit(m_callbackRow);
    m_callbackEdit->setReadOnly(true);
    m_callbackEdit->setToolTip(tr("Where this job's worker posts its log lines; it carries the job's token"));
    m_copyCallback = new QPushButton(tr("Copy"), m_callbackRow);
    m_copyCallback->setToolTip(tr("Copy the callback URL (with its token) for the worker"));
    auto *callbackLayout = new QHBoxLayout(m_callbackRow);
    callbackLayout->setContentsMargins(0, 0, 0, 0);
    callbackLayout->addWidget(callbackLabel);
    callbackLayout->addWidget(m_callbackEdit, 1);
    callbackLayout->addWidget(m_copyCallback);
    m_callbackRow->hide();
    auto *detailsLayout = new QVBoxLayout(detailsTab);
    detailsLayout->setContentsMargins(0, 4, 0, 0);
    detailsLayout->addWidget(m_callbackRow);
    detailsLayout->addWidget(m_details, 1);
    addTab(detailsTab, tr("&Details"));
    connect(m_copyCallback, &QPushButton::clicked, this, [this] {
        if (!m_callbackUrl.isEmpty())
            QApplication::clipboard()->setText(m_callbackUrl);
    });

    connect(m_details, &QTextBrowser::anchorClicked, this, [this](const QUrl &url) {
        if (url.scheme() == u"job")
            Q_EMIT openJobRequested(url.path());
    });
    connect(m_artifactView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] { updateArtifactButtons(); });
    connect(m_artifactView, &QTableView::doubleClicked, this, [this] { m_open->click(); });
    connect(m_open, &QPushButton::clicked, this, [this] {
        withSelectedArtifact([](const QString &path) { QDesktopServices::openUrl(QUrl::fromLocalFile(path)); });
    });
    connect(m_reveal, &QPushButton::clicked, this, [this] {
        if (m_artifactView->selectionModel()->selectedRows().isEmpty()) {
            if (const QString folder = m_session->jobFolder(m_jobId); !folder.isEmpty())
                QDesktopServices::openUrl(QUrl::fromLocalFile(folder));
            return;
        }
        withSelectedArtifact([](const QString &path) {
            QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(path).absolutePath()));
        });
    });
    connect(m_saveAs, &QPushButton::clicked, this, [this] {
        withSelectedArtifact([this](const QString &path) {
            const QString target = QFileDialog::getSaveFileName(this, tr("Save artifact"), QFileInfo(path).fileName());
            if (target.isEmpty())
                return;
            QFile::remove(target);
            if (!QFile::copy(path, target))
                QMessageBox::warning(this, tr("Save artifact"), tr("Could not write %1").arg(target));
        });
    });
    connect(m_session, &session::Session::artifactFetchProgress, this,
            [this](const QString &jobId, const QString &name, qint64 received, qint64 total) {
                if (jobId == m_jobId)
                    m_fetchState->setText(total > 0 ? tr("fetching %1… %2%").arg(name).arg(received * 100 / total)
                                                    : tr("fetching %1…").arg(name));
            });
    connect(m_session, &session::Session::jobChanged, this, [this](const model::Job &job) { onJob(job, false); });
    connect(m_session, &session::Session::jobAdded, this, [this](const model::Job &job) { onJob(job, true); });
    updateArtifactButtons();
}

void JobDetailsPane::setJob(const QString &jobId)
{
    const quint64 generation = ++m_generation;
    m_jobId = jobId;
    m_job.reset();
    m_retries.clear();
    m_samples.clear();
    m_callbackUrl.clear();
    m_callbackAsked = false;
    m_fetchState->clear();
    m_console->setJob(jobId);
    m_artifacts->setJob(jobId);
    refresh();
    updateArtifactButtons();
    if (jobId.isEmpty())
        return;
    m_session->job(jobId, this, [this, generation](Result<model::Job> job) {
        if (generation != m_generation || !job)
            return;
        // The feed may have told of a newer state already.
        if (!m_job || m_job->updatedAt <= job->updatedAt)
            m_job = job.value();
        track(*m_job);
        refresh();
    });
    m_session->retriesOf(jobId, this, [this, generation](Result<QList<model::Job>> retries) {
        if (generation != m_generation || !retries)
            return;
        for (const auto &r : retries.value())
            if (std::none_of(m_retries.cbegin(), m_retries.cend(), [&](const model::Job &j) { return j.id == r.id; }))
                m_retries.append(r);
        refresh();
    });
}

void JobDetailsPane::onJob(const model::Job &job, bool added)
{
    if (m_jobId.isEmpty())
        return;
    if (job.id == m_jobId) {
        m_job = job;
        track(job);
        refresh();
        return;
    }
    if (job.retryOf != m_jobId)
        return;
    // A retry of this job: its lineage shows it, with its status.
    for (auto &r : m_retries)
        if (r.id == job.id) {
            r = job;
            return refresh();
        }
    if (added) {
        m_retries.append(job);
        refresh();
    }
}

void JobDetailsPane::refresh()
{
    const QJsonObject summary = m_job ? m_job->summary : QJsonObject();
    m_summary->setJson(summary.isEmpty() ? QJsonValue() : QJsonValue(summary));
    m_summaryView->expandAll();
    m_details->setHtml(detailsHtml());
    m_callbackEdit->setText(m_callbackUrl);
    m_callbackRow->setVisible(!m_callbackUrl.isEmpty());
}

bool JobDetailsPane::reportsByCallback(const model::Job &job)
{
    return job.backend != model::Backend::Local || jobs::isExternal(job.params);
}

void JobDetailsPane::track(const model::Job &job)
{
    if (m_samples.isEmpty() && job.startedAt.isValid())
        m_samples.append({job.startedAt, 0}); // nothing is done when it starts
    // A sample per progress value, at the time the job last changed (the service's clock, not
    // when this window heard of it).
    if (job.progress > 0 && (m_samples.isEmpty() || job.progress > m_samples.last().second)) {
        const QDateTime at = job.updatedAt.isValid() ? job.updatedAt : QDateTime::currentDateTimeUtc();
        if (m_samples.isEmpty() || at > m_samples.last().first)
            m_samples.append({at, job.progress});
    }
    if (m_callbackAsked || !reportsByCallback(job))
        return;
    m_callbackAsked = true;
    const quint64 generation = m_generation;
    m_session->callbackUrl(job.id, this, [this, generation](Result<QString> url) {
        if (generation != m_generation || !url)
            return;
        m_callbackUrl = url.value();
        refresh();
    });
}

std::optional<qint64> JobDetailsPane::secondsLeft(const QList<ProgressSample> &samples)
{
    if (samples.size() < 2)
        return std::nullopt;
    const ProgressSample &first = samples.first();
    const ProgressSample &last = samples.last();
    const int done = last.second - first.second;
    const qint64 ms = first.first.msecsTo(last.first);
    if (done <= 0 || ms <= 0 || last.second >= 100)
        return std::nullopt;
    return (ms * (100 - last.second) / done + 999) / 1000;
}

QString JobDetailsPane::etaText() const
{
    if (!m_job || m_job->status != model::JobStatus::Running)
        return {};
    const auto left = secondsLeft(m_samples);
    if (!left)
        return {};
    const QDateTime end = m_samples.last().first.addSecs(*left);
    const qint64 fromNow = std::max<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(end));
    const QString span = fromNow < 90     ? tr("%n s", nullptr, static_cast<int>(fromNow))
                         : fromNow < 5400 ? tr("%n min", nullptr, static_cast<int>((fromNow + 30) / 60))
                                          : tr("%1 h").arg(fromNow / 3600.0, 0, 'f', 1);
    return tr("about %1 left (finishing around %2), at the rate progress has moved")
        .arg(span, end.toLocalTime().toString(QStringLiteral("HH:mm")));
}

QString JobDetailsPane::detailsHtml() const
{
    const auto &j = m_job;
    if (m_jobId.isEmpty() || !j)
        return {};
    QString rows;
    auto row = [&rows](const QString &k, const QString &v) {
        rows += QStringLiteral("<tr><td style='padding-right:16px'><b>%1</b></td><td>%2</td></tr>").arg(esc(k), v);
    };
    row(tr("Job"), QStringLiteral("<code>%1</code>").arg(esc(j->id)));
    const QString detail = !j->error.isEmpty()             ? j->error
                           : !j->partialReason().isEmpty() ? tr("stopped by %1").arg(j->partialReason())
                                                           : QString();
    row(tr("Status"), QStringLiteral("<span style='color:%1'>%2</span>%3")
                          .arg(statusColour(j->status).name(), esc(j->statusText()),
                               detail.isEmpty() ? QString() : QStringLiteral(" — ") + esc(detail)));
    row(tr("Backend"),
        esc(model::toString(j->backend)) +
            (j->remoteId.isEmpty()
                 ? QString()
                 : QStringLiteral(" · remote id <code>%1</code> (%2)").arg(esc(j->remoteId), esc(j->remoteStatus))));
    row(tr("Kind"), esc(j->kind));
    if (j->backend == model::Backend::Local)
        row(tr("Profile"),
            esc(j->params.value(QStringLiteral("profile")).toString(runners::LocalRunner::kDefaultProfile)));
    row(tr("Node"), !j->node.isEmpty()             ? esc(j->node)
                    : model::isTerminal(j->status) ? QStringLiteral("—")
                                                   : tr("— (not claimed yet)"));
    row(tr("Progress"), QStringLiteral("%1%").arg(j->progress));
    if (const QString eta = etaText(); !eta.isEmpty())
        row(tr("ETA"), esc(eta));
    else if (j->status == model::JobStatus::Running)
        row(tr("ETA"), tr("— (shown once progress has moved)"));
    if (reportsByCallback(*j))
        row(tr("Callback URL"),
            m_callbackUrl.isEmpty() ? tr("— (not known to this window)") : tr("above, with a copy button"));
    row(tr("Exit code"), j->exitCode ? QString::number(*j->exitCode) : QStringLiteral("—"));
    row(tr("Created"), when(j->createdAt));
    row(tr("Started"), when(j->startedAt));
    row(tr("Finished"), when(j->finishedAt));
    row(tr("Timeout"), j->timeoutS ? tr("%1 s").arg(j->timeoutS) : tr("none"));
    row(tr("Priority"), QString::number(j->priority));
    row(tr("Log lines"), QString::number(j->logCount));
    if (!j->resultsUrl.isEmpty())
        row(tr("Results URL"), esc(j->resultsUrl));
    // Retry lineage: where this attempt came from and what came after it.
    QString lineage = tr("attempt %1 of %2").arg(j->attempt).arg(j->maxAttempts);
    if (!j->retryOf.isEmpty())
        lineage += tr(" · retry of <a href='job:%1'>%2</a>").arg(esc(j->retryOf), esc(j->retryOf.left(8)));
    for (const auto &r : m_retries)
        lineage += tr(" · retried as <a href='job:%1'>%2</a> (%3)")
                       .arg(esc(r.id), esc(r.id.left(8)), esc(model::toString(r.status)));
    row(tr("Attempts"), lineage);
    const QString params = QString::fromUtf8(QJsonDocument(j->params).toJson(QJsonDocument::Indented));
    return QStringLiteral("<table>%1</table><p><b>%2</b></p><pre>%3</pre>").arg(rows, tr("Parameters"), esc(params));
}

void JobDetailsPane::withSelectedArtifact(const std::function<void(const QString &)> &use)
{
    const auto rows = m_artifactView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const auto a = m_artifacts->artifactAt(rows.first().row());
    if (!a)
        return;
    const QString jobId = m_jobId;
    m_session->fetchArtifact(jobId, a->name, this, [this, jobId, use](Result<QString> path) {
        if (jobId != m_jobId)
            return;
        m_fetchState->clear();
        if (!path) {
            QMessageBox::warning(this, tr("Artifact"), path.error().detail);
            return;
        }
        use(path.value());
    });
}

void JobDetailsPane::updateArtifactButtons()
{
    const bool has = !m_artifactView->selectionModel()->selectedRows().isEmpty();
    m_open->setEnabled(has);
    m_saveAs->setEnabled(has);
    m_reveal->setEnabled(!m_jobId.isEmpty());
}

} // namespace cd::ui

#include "jobdetailspane.h"

#include "artifactmodel.h"
#include "colours.h"
#include "jsontreemodel.h"
#include "logconsole.h"
#include "session/session.h"

#include <QDesktopServices>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
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

    m_details = new QTextBrowser(this);
    m_details->setOpenLinks(false);
    addTab(m_details, tr("&Details"));

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
    if (!j->node.isEmpty())
        row(tr("Node"), esc(j->node));
    row(tr("Progress"), QStringLiteral("%1%").arg(j->progress));
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

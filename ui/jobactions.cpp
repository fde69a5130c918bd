#include "jobactions.h"

#include "session/session.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QMenu>
#include <QPointer>
#include <QUrl>

namespace cd::ui {

JobActions::JobActions(session::Session *session, QWidget *parent)
    : QObject(parent), m_session(session), m_parent(parent)
{
    m_copyId = new QAction(tr("Copy id"), this);
    connect(m_copyId, &QAction::triggered, this, [this] {
        if (!m_job)
            return;
        QApplication::clipboard()->setText(m_job->id);
        Q_EMIT message(tr("Copied %1").arg(m_job->id));
    });
    m_copyCallback = new QAction(tr("Copy callback URL"), this);
    m_copyCallback->setToolTip(tr("Where an outside worker posts this job's log lines (with the job's token)"));
    connect(m_copyCallback, &QAction::triggered, this, &JobActions::doCopyCallbackUrl);
    m_openFolder = new QAction(tr("Open output folder"), this);
    connect(m_openFolder, &QAction::triggered, this, &JobActions::doOpenFolder);
    m_exportLog = new QAction(tr("Export log…"), this);
    connect(m_exportLog, &QAction::triggered, this, &JobActions::doExportLog);
    setJob(std::nullopt);
}

void JobActions::setJob(const std::optional<model::Job> &job)
{
    m_job = job;
    const bool has = job.has_value();
    m_copyId->setEnabled(has);
    // A finished job takes no more lines: its callback URL would only be refused.
    m_copyCallback->setEnabled(has && !model::isTerminal(job->status));
    m_openFolder->setEnabled(has && m_session->can(session::Capability::LocalFiles) &&
                             QDir(m_session->jobFolder(job->id)).exists());
    m_exportLog->setEnabled(has && job->logCount > 0);
}

void JobActions::fill(QMenu *menu, const QList<QAction *> &jobActions) const
{
    menu->addActions(jobActions);
    menu->addSeparator();
    menu->addAction(m_copyId);
    menu->addAction(m_copyCallback);
    menu->addSeparator();
    menu->addAction(m_openFolder);
    menu->addAction(m_exportLog);
}

void JobActions::doCopyCallbackUrl()
{
    if (!m_job)
        return;
    m_session->callbackUrl(m_job->id, this, [this](Result<QString> url) {
        if (!url)
            return Q_EMIT message(tr("No callback URL: %1").arg(url.error().detail));
        QApplication::clipboard()->setText(url.value());
        Q_EMIT message(tr("Copied the callback URL"));
    });
}

void JobActions::doOpenFolder()
{
    if (m_job)
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_session->jobFolder(m_job->id)));
}

void JobActions::doExportLog()
{
    if (!m_job || !m_writeLog)
        return;
    const QString suggested = QDir::home().filePath(QStringLiteral("%1.log").arg(m_job->id.left(8)));
    const QString path = m_askPath ? m_askPath(suggested)
                                   : QFileDialog::getSaveFileName(m_parent, tr("Export log"), suggested,
                                                                  tr("Log files (*.log *.txt);;All files (*)"));
    if (path.isEmpty())
        return;
    const QString id = m_job->id;
    Q_EMIT message(tr("Exporting the log of %1…").arg(id.left(8)));
    m_writeLog(id, path, [self = QPointer<JobActions>(this), path](const QString &error) {
        if (self)
            Q_EMIT self->message(error.isEmpty() ? tr("Log saved to %1").arg(path)
                                                 : tr("Log not saved: %1").arg(error));
    });
}

} // namespace cd::ui

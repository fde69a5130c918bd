#include "trayicon.h"

#include <QIcon>
#include <QMenu>
#include <QSystemTrayIcon>

namespace cd::ui {

TrayIcon::TrayIcon(QObject *parent) : QObject(parent)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray = new QSystemTrayIcon(QIcon(QStringLiteral(":/icons/crawldeck.svg")), this);
    m_menu = new QMenu();
    m_menu->addAction(tr("Show Crawldeck"), this, [this] { Q_EMIT showWindowRequested(); });
    m_menu->addSeparator();
    m_menu->addAction(tr("Quit"), this, [this] { Q_EMIT quitRequested(); });
    m_tray->setContextMenu(m_menu);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason r) {
        if (r == QSystemTrayIcon::Trigger)
            Q_EMIT showWindowRequested();
    });
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
        if (!m_lastJob.isEmpty())
            Q_EMIT openJobRequested(m_lastJob);
    });
    connect(this, &QObject::destroyed, m_menu, &QObject::deleteLater);
    setRunning(0, 0);
    m_tray->show();
}

void TrayIcon::setRunning(int running, int queued)
{
    if (m_tray)
        m_tray->setToolTip(tr("Crawldeck — %1 running, %2 queued").arg(running).arg(queued));
}

void TrayIcon::notifyFinished(const model::Job &job)
{
    if (!m_tray)
        return;
    m_lastJob = job.id;
    const bool ok = job.status == model::JobStatus::Completed;
    m_tray->showMessage(
        ok ? tr("Job completed") : tr("Job %1").arg(model::toString(job.status).replace(u'_', u' ')),
        QStringLiteral("%1 · %2%3")
            .arg(job.id.left(8), job.kind, job.error.isEmpty() ? QString() : QStringLiteral(" — ") + job.error),
        ok ? QSystemTrayIcon::Information : QSystemTrayIcon::Warning, 8000);
}

} // namespace cd::ui

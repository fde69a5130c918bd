#pragma once

#include "model/job.h"

#include <QObject>

class QSystemTrayIcon;
class QMenu;

namespace cd::ui {

// Tray icon: running-jobs count in the tooltip, a notification when a job ends (a click opens it).
// Absent when the desktop has no tray.
class TrayIcon : public QObject
{
    Q_OBJECT
public:
    explicit TrayIcon(QObject *parent = nullptr);
    bool available() const { return m_tray != nullptr; }
    void setRunning(int running, int queued);
    void notifyFinished(const model::Job &job);

Q_SIGNALS:
    void showWindowRequested();
    void openJobRequested(const QString &jobId);
    void quitRequested();

private:
    QSystemTrayIcon *m_tray = nullptr;
    QMenu *m_menu = nullptr;
    QString m_lastJob;
};

} // namespace cd::ui

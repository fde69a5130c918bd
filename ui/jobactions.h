#pragma once

#include "model/job.h"

#include <QObject>

#include <functional>
#include <optional>

class QAction;
class QMenu;
class QWidget;

namespace cd::session {
class Session;
}

namespace cd::ui {

// The actions on one job that the row's context menu and the menu bar share: each is enabled only
// where it applies to the job it is given (setJob), and works on that job.
class JobActions final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobActions)
public:
    JobActions(session::Session *session, QWidget *parent);

    void setJob(const std::optional<model::Job> &job);
    const std::optional<model::Job> &job() const { return m_job; }

    // The row's context menu: Open, Cancel, Retry, Clone (given, the window's own), then these.
    void fill(QMenu *menu, const QList<QAction *> &jobActions) const;

    QAction *copyId() const { return m_copyId; }
    QAction *copyCallbackUrl() const { return m_copyCallback; }
    QAction *openFolder() const { return m_openFolder; }
    QAction *exportLog() const { return m_exportLog; }

    // Where Export log… writes (tests skip the file dialog); empty = ask.
    void setExportPath(std::function<QString(const QString &suggested)> ask) { m_askPath = std::move(ask); }
    // What writes a job's log to a file, asynchronously, then says why it failed (empty: it did not).
    using LogWriter =
        std::function<void(const QString &jobId, const QString &path, std::function<void(const QString &)> done)>;
    void setLogWriter(LogWriter writer) { m_writeLog = std::move(writer); }

Q_SIGNALS:
    // A short note for the status bar ("Copied …", "Log saved to …").
    void message(const QString &text);

private:
    void doCopyCallbackUrl();
    void doOpenFolder();
    void doExportLog();

    session::Session *m_session;
    QWidget *m_parent;
    std::optional<model::Job> m_job;
    QAction *m_copyId;
    QAction *m_copyCallback;
    QAction *m_openFolder;
    QAction *m_exportLog;
    std::function<QString(const QString &)> m_askPath;
    LogWriter m_writeLog;
};

} // namespace cd::ui

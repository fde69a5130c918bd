#pragma once

#include "model/job.h"

#include <QTabWidget>

#include <functional>
#include <optional>

class QTreeView;
class QTableView;
class QTextBrowser;
class QPushButton;
class QLabel;

namespace cd::session {
class Session;
}

namespace cd::ui {

class LogConsole;
class JsonTreeModel;
class ArtifactModel;

// The selected job: Log, Summary ([SUMMARY] JSON as a tree), Artifacts (open, save as, reveal)
// and Details (params, backend ids, timings, error, attempts). The job and its retries are asked of
// the session and kept current from its feed.
class JobDetailsPane final : public QTabWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobDetailsPane)
public:
    explicit JobDetailsPane(session::Session *session, QWidget *parent = nullptr);

    void setJob(const QString &jobId);
    QString jobId() const { return m_jobId; }
    // The job as last heard of (empty until the session has answered).
    std::optional<model::Job> job() const { return m_job; }
    LogConsole *console() const { return m_console; }
    ArtifactModel *artifactModel() const { return m_artifacts; }
    JsonTreeModel *summaryModel() const { return m_summary; }
    QString detailsHtml() const;

Q_SIGNALS:
    void openJobRequested(const QString &jobId);

private:
    void refresh();
    void onJob(const model::Job &job, bool added);
    // Runs `use` with a local file of the selected artifact once the session has one.
    void withSelectedArtifact(const std::function<void(const QString &path)> &use);
    void updateArtifactButtons();

    session::Session *m_session;
    QString m_jobId;
    std::optional<model::Job> m_job;
    QList<model::Job> m_retries;
    quint64 m_generation = 0;
    QLabel *m_fetchState;
    LogConsole *m_console;
    JsonTreeModel *m_summary;
    QTreeView *m_summaryView;
    ArtifactModel *m_artifacts;
    QTableView *m_artifactView;
    QPushButton *m_open;
    QPushButton *m_saveAs;
    QPushButton *m_reveal;
    QTextBrowser *m_details;
};

} // namespace cd::ui

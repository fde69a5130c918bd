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
class QLineEdit;

namespace cd::session {
class Session;
}

namespace cd::ui {

class LogConsole;
class JsonTreeModel;
class ArtifactModel;

// The selected job: Log, Summary ([SUMMARY] JSON as a tree), Artifacts (open, save as, reveal)
// and Details (profile, node, params, backend ids, timings, ETA, error, attempts, and for a worker
// that runs elsewhere the callback URL with a copy button). The job and its retries are asked of
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
    // The URL the job's outside worker posts to (empty until known, or when its worker is ours).
    QString callbackUrl() const { return m_callbackUrl; }
    QPushButton *copyCallbackButton() const { return m_copyCallback; }

    // (when, progress) as seen for one job, oldest first.
    using ProgressSample = QPair<QDateTime, int>;
    // Seconds left at the rate progress moved between the first and the last sample; none before
    // two samples that show it moving, or once it is done.
    static std::optional<qint64> secondsLeft(const QList<ProgressSample> &samples);
    // "about 4 min left (finishing around 14:32)", or empty when there is no estimate.
    QString etaText() const;
    // The worker of this job runs elsewhere and reports by callback.
    static bool reportsByCallback(const model::Job &job);

Q_SIGNALS:
    void openJobRequested(const QString &jobId);

private:
    void refresh();
    void onJob(const model::Job &job, bool added);
    // Runs `use` with a local file of the selected artifact once the session has one.
    void withSelectedArtifact(const std::function<void(const QString &path)> &use);
    void updateArtifactButtons();
    // Keeps the progress samples of the shown job, and asks for its callback URL once.
    void track(const model::Job &job);

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
    QWidget *m_callbackRow;
    QLineEdit *m_callbackEdit;
    QPushButton *m_copyCallback;
    QString m_callbackUrl;
    bool m_callbackAsked = false;
    QList<ProgressSample> m_samples;
};

} // namespace cd::ui

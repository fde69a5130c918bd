#pragma once

#include "model/job.h"

#include <QTabWidget>

class QTreeView;
class QTableView;
class QTextBrowser;
class QPushButton;

namespace cd::store {
class JobStore;
class LogStore;
} // namespace cd::store
namespace cd::logs {
class LogBus;
}
namespace cd::artifacts {
class ArtifactStore;
class ResultCollector;
} // namespace cd::artifacts

namespace cd::ui {

class LogConsole;
class JsonTreeModel;
class ArtifactModel;

// The selected job: Log, Summary ([SUMMARY] JSON as a tree), Artifacts (open, save as, reveal)
// and Details (params, backend ids, timings, error, attempts).
class JobDetailsPane : public QTabWidget
{
    Q_OBJECT
public:
    JobDetailsPane(store::JobStore *jobs, store::LogStore *logs, logs::LogBus *bus, artifacts::ArtifactStore *artifacts,
                   QWidget *parent = nullptr);

    void setJob(const QString &jobId);
    // Shows remote result downloads, with progress, in the Artifacts tab.
    void watchDownloads(artifacts::ResultCollector *results);
    QString jobId() const { return m_jobId; }
    LogConsole *console() const { return m_console; }
    ArtifactModel *artifactModel() const { return m_artifacts; }
    JsonTreeModel *summaryModel() const { return m_summary; }
    QString detailsHtml() const;

Q_SIGNALS:
    void openJobRequested(const QString &jobId);

private:
    void refresh(const model::Job &job);
    QString selectedArtifactPath() const;
    void updateArtifactButtons();

    store::JobStore *m_jobs;
    artifacts::ArtifactStore *m_files;
    QString m_jobId;
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

#pragma once

#include <QMainWindow>

class QTableView;
class QListView;
class QLabel;
class QLineEdit;
class QComboBox;
class QCheckBox;
class QAction;
class QSortFilterProxyModel;

namespace cd::store {
class JobStore;
class LogStore;
} // namespace cd::store
namespace cd::logs {
class LogBus;
}
namespace cd::scheduler {
class Scheduler;
}
namespace cd::artifacts {
class ArtifactStore;
}

namespace cd::ui {

class JobTableModel;
class LogModel;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    struct Services
    {
        store::JobStore *jobs;
        store::LogStore *logs;
        logs::LogBus *bus;
        scheduler::Scheduler *scheduler;
        artifacts::ArtifactStore *artifacts;
    };

    explicit MainWindow(const Services &services, QWidget *parent = nullptr);
    ~MainWindow() override;

    void setServerInfo(const QString &baseUrl, const QString &error, const QString &apiToken, const QStringList &profiles);
    QString selectedJobId() const;
    void selectJob(const QString &jobId);
    JobTableModel *jobModel() const { return m_jobModel; }
    LogModel *logModel() const { return m_logModel; }

public Q_SLOTS:
    void newJob();
    void cloneJob();
    void cancelJob();
    void retryJob();

private:
    void buildActions();
    void onSelectionChanged();
    void updateActions();
    void updateCounts();
    void applyFilter();
    void showError(const QString &what, const QString &detail);

    Services m_s;
    JobTableModel *m_jobModel;
    QSortFilterProxyModel *m_proxy;
    LogModel *m_logModel;
    QTableView *m_table;
    QListView *m_log;
    QLineEdit *m_filter;
    QComboBox *m_statusFilter;
    QCheckBox *m_follow;
    QLabel *m_listenLabel;
    QLabel *m_countsLabel;
    QAction *m_newAction;
    QAction *m_cancelAction;
    QAction *m_retryAction;
    QAction *m_cloneAction;
    QStringList m_profiles;
};

} // namespace cd::ui

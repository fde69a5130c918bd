#pragma once

#include <QMainWindow>

#include <functional>

class QTableView;
class QLabel;
class QLineEdit;
class QComboBox;
class QAction;

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
class ResultCollector;
} // namespace cd::artifacts
namespace cd::settings {
class Settings;
}
namespace cd::runners {
class RunPodClient;
}

namespace cd::ui {

class JobTableModel;
class JobFilterProxy;
class JobDetailsPane;
class TrayIcon;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    struct Services
    {
        store::JobStore *jobs = nullptr;
        store::LogStore *logs = nullptr;
        logs::LogBus *bus = nullptr;
        scheduler::Scheduler *scheduler = nullptr;
        artifacts::ArtifactStore *artifacts = nullptr;
        settings::Settings *settings = nullptr;                // null: no settings dialog
        std::function<QString()> applySettings;                // returns what was applied
        std::function<runners::RunPodClient *()> runpodClient; // for the health indicator
        artifacts::ResultCollector *results = nullptr;         // remote result downloads
    };

    explicit MainWindow(const Services &services, QWidget *parent = nullptr);
    ~MainWindow() override;

    void setServerInfo(const QString &baseUrl, const QString &error, const QStringList &profiles);
    QString selectedJobId() const;
    void selectJob(const QString &jobId);
    JobTableModel *jobModel() const { return m_jobModel; }
    JobFilterProxy *proxy() const { return m_proxy; }
    JobDetailsPane *details() const { return m_details; }
    QTableView *table() const { return m_table; }
    // Replaces the yes/no question (tests answer it without a modal dialog).
    void setConfirm(std::function<bool(const QString &)> confirm) { m_confirm = std::move(confirm); }
    void setFilterText(const QString &text);

public Q_SLOTS:
    void newJob();
    void cloneJob();
    void cancelJob();
    void retryJob();
    void openSettings();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildActions();
    void buildStatusBar();
    void openJobDialog(const QString &prefillFrom);
    void onSelectionChanged();
    void updateActions();
    void updateCounts();
    void applyFilter();
    void pollRunPodHealth();
    void showError(const QString &what, const QString &detail);

    Services m_s;
    JobTableModel *m_jobModel;
    JobFilterProxy *m_proxy;
    QTableView *m_table;
    JobDetailsPane *m_details;
    QLineEdit *m_filter;
    QComboBox *m_statusFilter;
    QComboBox *m_backendFilter;
    QLabel *m_listenLabel;
    QLabel *m_countsLabel;
    QLabel *m_healthLabel;
    QAction *m_newAction;
    QAction *m_cancelAction;
    QAction *m_retryAction;
    QAction *m_cloneAction;
    TrayIcon *m_tray;
    QStringList m_profiles;
    QString m_baseUrl;
    std::function<bool(const QString &)> m_confirm;
};

} // namespace cd::ui

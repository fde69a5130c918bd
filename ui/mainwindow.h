#pragma once

#include "model/job.h"

#include <QMainWindow>

#include <functional>
#include <optional>

class QTableView;
class QLabel;
class QLineEdit;
class QComboBox;
class QAction;
class QMenu;

namespace cd::session {
class Session;
}
namespace cd::settings {
class Settings;
}

namespace cd::ui {

class JobTableModel;
class JobFilterProxy;
class JobDetailsPane;
class NodesPanel;
class TrayIcon;
class JobActions;
class EmptyState;

// The desktop's own preferences and, where the session can(ServiceSettings), the embedded service's
// configuration: what the app offers the window besides the session.
struct Preferences
{
    settings::Settings *settings = nullptr; // null: no settings dialog
    std::function<QString()> applySettings; // returns what was applied
};

// The window works on a Session (the service of this process, or a remote one) and never knows
// which: jobs, logs, artifacts and status all come from it.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(session::Session *session, const Preferences &preferences = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    // The embedded service's address (shown with its callback URL), or why it is not running.
    void setServerInfo(const QString &baseUrl, const QString &error);
    // The window works on a remote server's session: its address in the title and the status bar.
    void setAttachedTo(const QString &server);
    QString selectedJobId() const;
    void selectJob(const QString &jobId);
    JobTableModel *jobModel() const { return m_jobModel; }
    JobFilterProxy *proxy() const { return m_proxy; }
    JobDetailsPane *details() const { return m_details; }
    QTableView *table() const { return m_table; }
    NodesPanel *nodesPanel() const { return m_nodesPanel; }
    JobActions *jobActions() const { return m_jobActions; }
    EmptyState *emptyState() const { return m_emptyState; }
    QAction *detailsAction() const { return m_detailsAction; }
    // The row's context menu for the selected job (the caller owns it; shown with popup or exec).
    QMenu *jobMenu();
    // The columns the user can show or hide, as checkable actions (header menu, View → Columns).
    void fillColumnMenu(QMenu *menu);
    // What About says about the server: "attached to …", "serving on …" or why the service is down.
    QString serverDescription() const { return m_serverDescription; }
    // Replaces the yes/no question (tests answer it without a modal dialog).
    void setConfirm(std::function<bool(const QString &)> confirm) { m_confirm = std::move(confirm); }
    void setFilterText(const QString &text);

public Q_SLOTS:
    void newJob();
    void cloneJob();
    void cancelJob();
    void retryJob();
    void openSettings();
    void refresh();
    void showAbout();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildActions();
    void buildStatusBar();
    void buildNodesPanel();
    // mainwindowmenus.cpp: the menu bar, the row and header menus, the table's columns.
    void buildMenus();
    void buildHeader();
    void saveHeader();
    void openJobDialog(const std::optional<model::Job> &prefill);
    void onSelectionChanged();
    void updateActions();
    void updateCounts();
    void applyFilter();
    void pollRunPodHealth();
    void showConnection();
    void showError(const QString &what, const QString &detail);
    std::optional<model::Job> selectedJob() const;

    session::Session *m_session;
    Preferences m_prefs;
    QString m_pendingSelection; // asked for before its row arrived
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
    QLabel *m_connectionLabel;
    QAction *m_newAction;
    QAction *m_cancelAction;
    QAction *m_retryAction;
    QAction *m_cloneAction;
    TrayIcon *m_tray;
    NodesPanel *m_nodesPanel = nullptr;
    JobActions *m_jobActions = nullptr;
    EmptyState *m_emptyState = nullptr;
    QWidget *m_detailsArea = nullptr;
    QAction *m_detailsAction = nullptr;
    QAction *m_findAction = nullptr;
    QMenu *m_viewMenu = nullptr;
    QString m_serverDescription;
    QString m_baseUrl;
    std::function<bool(const QString &)> m_confirm;
};

} // namespace cd::ui

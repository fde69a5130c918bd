#pragma once

#include "common/result.h"
#include "mainwindow.h"
#include "settings/connections.h"

#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>

namespace cd::session {
class Session;
class RemoteSession;
} // namespace cd::session

namespace cd::ui {

class ConnectionSwitcher;
class ConnectionDialog;
class TokenPrompt;

// "This computer": the embedded service, started the first time the window is switched to it.
struct LocalService
{
    // Starts the service if it is not running yet; its session, or why it cannot start.
    std::function<Result<session::Session *>()> start;
    // The running service's session; null before start().
    std::function<session::Session *()> session;
    // Shows the service's address (or why its listener is down) in a window working on it.
    std::function<void(MainWindow *)> decorate;
    // The window's preferences on it (read once it has started: they come from its settings).
    std::function<Preferences()> preferences;
};

// Keeps the window on one connection at a time and switches it: the window is built again over the
// new session at the same place and size (its models and panes bind their session when they are
// made). Remote sessions are made here and end with their window; the local one lives on, and so
// does its service when the window leaves it (workers may still be posting to it).
class ConnectionHost final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionHost)
public:
    ConnectionHost(settings::ConnectionList *connections, LocalService local, QObject *parent = nullptr);
    ~ConnectionHost() override;

    // Works on a saved connection (kLocalConnection: this computer) from now on.
    Status open(const QString &id);
    // Works on a server that is not saved (--connect with a URL the list does not have).
    void openUnsaved(const QUrl &url, const QByteArray &token);

    MainWindow *window() const { return m_window.get(); }
    session::Session *session() const;
    settings::SavedConnection current() const { return m_current; }
    ConnectionSwitcher *switcher() const { return m_switcher; }
    // The open token prompt or connection dialog, if any (tests answer them).
    TokenPrompt *tokenPrompt() const;
    ConnectionDialog *dialog() const;
    // Where remote sessions keep fetched artifacts (their default otherwise).
    void setCacheRoot(const QString &dir) { m_cacheRoot = dir; }
    // Replaces the yes/no question (tests answer it without a modal dialog).
    void setConfirm(std::function<bool(const QString &)> confirm) { m_confirm = std::move(confirm); }

public Q_SLOTS:
    void addConnection();
    void editConnection(const QString &id);
    void removeConnection(const QString &id);

Q_SIGNALS:
    // A new window replaced the previous one (which is gone).
    void windowReplaced(cd::ui::MainWindow *window);

private:
    // Switches from the event loop, once whoever asked (a menu, a dialog of the window) is done.
    void switchLater(const QString &id);
    void attachRemote(const settings::SavedConnection &connection, const QByteArray &token);
    void showWindow(session::Session *session, const Preferences &preferences);
    void askToken();
    void openDialog(const std::optional<settings::SavedConnection> &editing);
    void note(const QString &message);

    settings::ConnectionList *m_connections;
    LocalService m_local;
    settings::SavedConnection m_current;
    std::unique_ptr<session::RemoteSession> m_remote;
    std::unique_ptr<MainWindow> m_window;
    ConnectionSwitcher *m_switcher = nullptr;
    QPointer<TokenPrompt> m_prompt;
    QPointer<ConnectionDialog> m_dialog;
    QString m_cacheRoot;
    std::function<bool(const QString &)> m_confirm;
};

} // namespace cd::ui

#include "connectionhost.h"

#include "connectiondialog.h"
#include "connectionswitcher.h"
#include "session/remotesession.h"
#include "tokenprompt.h"

#include <QCoreApplication>
#include <QLabel>
#include <QMessageBox>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>

namespace cd::ui {

using settings::SavedConnection;

namespace {
QString serverOf(const SavedConnection &c)
{
    return c.url.toDisplayString(QUrl::RemoveUserInfo);
}
} // namespace

ConnectionHost::ConnectionHost(settings::ConnectionList *connections, LocalService local, QObject *parent)
    : QObject(parent), m_connections(connections), m_local(std::move(local))
{
    m_confirm = [this](const QString &question) {
        return QMessageBox::question(m_window.get(), tr("Crawldeck"), question) == QMessageBox::Yes;
    };
}

ConnectionHost::~ConnectionHost()
{
    // The window goes before the session it works on.
    m_window.reset();
    m_remote.reset();
}

session::Session *ConnectionHost::session() const
{
    if (m_current.isLocal())
        return m_local.session ? m_local.session() : nullptr;
    return m_remote.get();
}

TokenPrompt *ConnectionHost::tokenPrompt() const
{
    return m_prompt;
}

ConnectionDialog *ConnectionHost::dialog() const
{
    return m_dialog;
}

Status ConnectionHost::open(const QString &id)
{
    const auto connection = m_connections->find(id);
    if (!connection)
        return Error::make(Error::Code::NotFound, tr("no saved connection %1").arg(id));
    if (connection->isLocal()) {
        const auto local = m_local.start();
        if (!local) {
            note(tr("This computer's service cannot start: %1").arg(local.error().detail));
            return local.error();
        }
        m_current = *connection;
        showWindow(local.value(), m_local.preferences ? m_local.preferences() : Preferences{});
        m_remote.reset(); // after the window that worked on it
        return Ok{};
    }
    // The keychain's token; a missing one is asked for when the server refuses the empty one.
    attachRemote(*connection, m_connections->token(id).secret.toUtf8());
    return Ok{};
}

void ConnectionHost::switchLater(const QString &id)
{
    QTimer::singleShot(0, this, [this, id] { open(id); });
}

void ConnectionHost::openUnsaved(const QUrl &url, const QByteArray &token)
{
    attachRemote(SavedConnection{{}, url.host(), url, {}}, token);
}

void ConnectionHost::attachRemote(const SavedConnection &connection, const QByteArray &token)
{
    client::ClientConfig config;
    config.baseUrl = connection.url;
    config.token = token;
    config.pinnedSha256 = connection.pinnedSha256;
    auto next = std::make_unique<session::RemoteSession>(config);
    if (!m_cacheRoot.isEmpty())
        next->setCacheRoot(m_cacheRoot);
    connect(next.get(), &session::Session::connectionStateChanged, this, [this](session::ConnectionState s) {
        if (s == session::ConnectionState::Unauthorized)
            askToken();
    });
    next->start();
    m_current = connection;
    showWindow(next.get(), Preferences{});
    m_remote = std::move(next); // the previous one goes after its window
    m_window->setAttachedTo(serverOf(connection));
    if (m_local.session && m_local.session()) {
        auto *running = new QLabel(tr("This computer's service keeps running"), m_window.get());
        running->setToolTip(tr("Its jobs go on and workers may still post to it; switch back to This computer to "
                               "see them."));
        m_window->statusBar()->addPermanentWidget(running);
    }
}

void ConnectionHost::showWindow(session::Session *session, const Preferences &preferences)
{
    QByteArray geometry;
    bool visible = true;
    if (m_window) {
        geometry = m_window->saveGeometry();
        visible = m_window->isVisible();
    }
    auto window = std::make_unique<MainWindow>(session, preferences);
    if (!geometry.isEmpty())
        window->restoreGeometry(geometry);
    auto *bar = window->addToolBar(tr("Connection"));
    bar->setObjectName(QStringLiteral("connection-toolbar"));
    bar->setMovable(false);
    auto *switcher = new ConnectionSwitcher(
        m_connections,
        [this](QObject *context, std::function<void(const ConnectionHealth &)> done) {
            session::Session *local = m_local.session ? m_local.session() : nullptr;
            if (!local) {
                done(ConnectionHealth{ConnectionHealth::State::NotStarted, {}, 0, 0, {}, {}, false, false, {}});
                return;
            }
            local->status(context, [done](Result<session::ServiceStatus> st) {
                ConnectionHealth h;
                h.version = QCoreApplication::applicationVersion();
                if (!st) {
                    h.state = ConnectionHealth::State::Unreachable;
                    h.error = st.error().detail;
                } else {
                    h.state = ConnectionHealth::State::Reachable;
                    h.queued = st->counts.value(model::JobStatus::Queued);
                    h.running =
                        st->counts.value(model::JobStatus::Running) + st->counts.value(model::JobStatus::Starting);
                }
                done(h);
            });
        },
        bar);
    bar->addWidget(switcher);
    switcher->setCurrent(m_current);
    // Later, from the event loop: the switch deletes the window, and with it the menu that asked.
    connect(switcher, &ConnectionSwitcher::switchRequested, this, &ConnectionHost::switchLater);
    connect(switcher, &ConnectionSwitcher::addRequested, this, &ConnectionHost::addConnection);
    connect(switcher, &ConnectionSwitcher::editRequested, this, &ConnectionHost::editConnection);
    connect(switcher, &ConnectionSwitcher::removeRequested, this, &ConnectionHost::removeConnection);
    if (m_current.isLocal() && m_local.decorate)
        m_local.decorate(window.get());
    // Shown before the previous one goes: the application never runs out of windows.
    if (visible)
        window->show();
    m_window = std::move(window); // the previous window goes here, before its session
    m_switcher = switcher;
    Q_EMIT windowReplaced(m_window.get());
}

void ConnectionHost::askToken()
{
    if (m_prompt || !m_remote || !m_window)
        return;
    m_prompt = new TokenPrompt(serverOf(m_current), m_remote->lastError(), !m_current.id.isEmpty(), m_window.get());
    m_prompt->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_prompt, &QDialog::accepted, this, [this, prompt = m_prompt.data()] {
        const QByteArray token = prompt->token();
        if (!m_remote || token.isEmpty())
            return;
        // Kept only once the server has said yes: a wrong one would replace a saved one otherwise.
        if (!m_current.id.isEmpty()) {
            auto *keep = new QObject(m_remote.get());
            connect(m_remote.get(), &session::Session::connectionStateChanged, keep,
                    [this, keep, token](session::ConnectionState s) {
                        if (s == session::ConnectionState::Connected) {
                            if (const auto saved = m_connections->save(m_current, token); !saved)
                                note(tr("The token works but could not be kept: %1").arg(saved.error().detail));
                            else if (saved->startsWith(u'/'))
                                note(tr("No desktop keychain answered: the token is kept in %1 (mode 0600)")
                                         .arg(saved.value()));
                        }
                        if (s != session::ConnectionState::Reconnecting)
                            keep->deleteLater();
                    });
        }
        m_remote->setToken(token);
    });
    connect(m_prompt, &QDialog::rejected, this, [this] {
        note(tr("The token was not changed: choose the connection again in the connection menu to be asked again"));
    });
    m_prompt->open();
}

void ConnectionHost::openDialog(const std::optional<SavedConnection> &editing)
{
    if (m_dialog)
        m_dialog->close();
    m_dialog = new ConnectionDialog(m_connections, editing, m_window.get());
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &QDialog::accepted, this, [this, dialog = m_dialog.data()] {
        SavedConnection c = dialog->connection();
        const auto saved = m_connections->save(c, dialog->token());
        if (!saved)
            return note(tr("Cannot save %1: %2").arg(c.name, saved.error().detail));
        if (saved->startsWith(u'/'))
            note(tr("No desktop keychain answered: the token of %1 is kept in %2 (mode 0600)").arg(c.name, *saved));
        if (c.id == m_current.id) {
            switchLater(c.id); // its URL, token or pin changed: attach again
            return;
        }
        m_switcher->rebuild();
        m_switcher->refresh();
    });
    m_dialog->open();
}

void ConnectionHost::addConnection()
{
    openDialog(std::nullopt);
}

void ConnectionHost::editConnection(const QString &id)
{
    if (const auto c = m_connections->find(id); c && !c->isLocal())
        openDialog(c);
}

void ConnectionHost::removeConnection(const QString &id)
{
    const auto c = m_connections->find(id);
    if (!c || c->isLocal() || id == m_current.id)
        return;
    if (!m_confirm(tr("Remove the connection “%1” (%2) and its saved token?").arg(c->name, serverOf(*c))))
        return;
    m_connections->remove(id);
    m_switcher->rebuild();
}

void ConnectionHost::note(const QString &message)
{
    if (m_window)
        m_window->statusBar()->showMessage(message, 10000);
}

} // namespace cd::ui

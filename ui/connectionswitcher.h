#pragma once

#include "connectionprobe.h"
#include "settings/connections.h"

#include <QHash>
#include <QSet>
#include <QToolButton>

#include <functional>

class QMenu;
class QTimer;

namespace cd::ui {

// The toolbar's connection menu: every saved connection with its health (reachable, version,
// queued and running jobs), refreshed in the background; choosing one asks to switch to it. Adding,
// editing and removing are asked for by signal: whoever owns the window does them.
class ConnectionSwitcher final : public QToolButton
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionSwitcher)
public:
    static constexpr int kRefreshMs = 15000;
    // How "This computer" reports itself (it may not have been started).
    using LocalHealth = std::function<void(QObject *context, std::function<void(const ConnectionHealth &)>)>;

    ConnectionSwitcher(settings::ConnectionList *connections, LocalHealth localHealth, QWidget *parent = nullptr);

    // The connection the window works on; `unsaved` names one that is not in the list (--connect).
    void setCurrent(const settings::SavedConnection &current);
    QString currentId() const { return m_current.id; }
    ConnectionHealth health(const QString &id) const { return m_health.value(id); }
    // Asks every connection for its health now (answers arrive later).
    void refresh();
    // Rebuilds the menu from the list and the last answers.
    void rebuild();
    QMenu *connectionMenu() const { return m_menu; }

Q_SIGNALS:
    void switchRequested(const QString &id);
    void addRequested();
    void editRequested(const QString &id);
    void removeRequested(const QString &id);
    // Some connection's health changed.
    void healthChanged();

private:
    QList<settings::SavedConnection> shown() const;
    void answered(const QString &id, const ConnectionHealth &health);

    settings::ConnectionList *m_connections;
    LocalHealth m_localHealth;
    settings::SavedConnection m_current;
    QHash<QString, ConnectionHealth> m_health;
    QSet<QString> m_asking;
    QMenu *m_menu;
    QMenu *m_editMenu;
    QMenu *m_removeMenu;
    QTimer *m_timer;
};

} // namespace cd::ui

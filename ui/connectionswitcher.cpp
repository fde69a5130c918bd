#include "connectionswitcher.h"

#include <QAction>
#include <QMenu>
#include <QPainter>
#include <QPixmap>
#include <QTimer>

namespace cd::ui {

using settings::SavedConnection;
using State = ConnectionHealth::State;

namespace {
// Where a probe answers: the key of an unsaved connection is its URL.
QString keyOf(const SavedConnection &c)
{
    return c.id.isEmpty() ? c.url.toString() : c.id;
}

QIcon dot(State state)
{
    QColor colour(0x9a, 0x9a, 0x9a);
    if (state == State::Reachable)
        colour = QColor(0x2d, 0xa4, 0x4e);
    else if (state == State::Unreachable)
        colour = QColor(0xc0, 0x30, 0x2f);
    QPixmap pm(16, 16);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    p.drawEllipse(QRectF(3, 3, 10, 10));
    return QIcon(pm);
}
} // namespace

ConnectionSwitcher::ConnectionSwitcher(settings::ConnectionList *connections, LocalHealth localHealth, QWidget *parent)
    : QToolButton(parent)
    , m_connections(connections)
    , m_localHealth(std::move(localHealth))
    , m_menu(new QMenu(this))
    , m_editMenu(new QMenu(tr("Edit"), m_menu))
    , m_removeMenu(new QMenu(tr("Remove"), m_menu))
    , m_timer(new QTimer(this))
{
    setObjectName(QStringLiteral("connection-switcher"));
    setPopupMode(QToolButton::InstantPopup);
    setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    setMenu(m_menu);
    setToolTip(tr("The server this window works on"));
    connect(m_menu, &QMenu::aboutToShow, this, [this] { refresh(); });
    connect(m_timer, &QTimer::timeout, this, &ConnectionSwitcher::refresh);
    m_timer->start(kRefreshMs);
    rebuild();
    QTimer::singleShot(0, this, &ConnectionSwitcher::refresh);
}

void ConnectionSwitcher::setCurrent(const SavedConnection &current)
{
    m_current = current;
    rebuild();
}

QList<SavedConnection> ConnectionSwitcher::shown() const
{
    QList<SavedConnection> out = m_connections->all();
    if (m_current.id.isEmpty() && m_current.url.isValid())
        out.append(m_current);
    return out;
}

void ConnectionSwitcher::refresh()
{
    for (const SavedConnection &c : shown()) {
        const QString key = keyOf(c);
        if (m_asking.contains(key))
            continue; // one question at a time per server: a slow one is not asked twice
        m_asking.insert(key);
        auto answer = [this, key](const ConnectionHealth &h) { answered(key, h); };
        if (c.isLocal()) {
            m_localHealth(this, answer);
            continue;
        }
        client::ClientConfig config;
        config.baseUrl = c.url;
        config.pinnedSha256 = c.pinnedSha256;
        probeConnection(config, false, this, answer);
    }
}

void ConnectionSwitcher::answered(const QString &id, const ConnectionHealth &health)
{
    m_asking.remove(id);
    m_health.insert(id, health);
    rebuild();
    Q_EMIT healthChanged();
}

void ConnectionSwitcher::rebuild()
{
    m_menu->clear();
    m_editMenu->clear();
    m_removeMenu->clear();
    QMenu *editMenu = m_editMenu;
    QMenu *removeMenu = m_removeMenu;
    for (const SavedConnection &c : shown()) {
        const QString key = keyOf(c);
        const ConnectionHealth h = m_health.value(key);
        QString name = c.name.isEmpty() ? c.url.toDisplayString() : c.name;
        if (c.id.isEmpty())
            name += tr(" (not saved)");
        QAction *a = m_menu->addAction(dot(h.state), name + QStringLiteral("  —  ") + h.summary());
        a->setCheckable(true);
        a->setChecked(key == keyOf(m_current));
        a->setToolTip(c.isLocal() ? tr("The service of this computer") : c.url.toDisplayString());
        a->setEnabled(!c.id.isEmpty());
        // The current one too: choosing it again attaches again (after a refused token was not
        // replaced, or to start over).
        connect(a, &QAction::triggered, this, [this, id = c.id] { Q_EMIT switchRequested(id); });
        if (c.isLocal() || c.id.isEmpty())
            continue;
        connect(editMenu->addAction(name), &QAction::triggered, this, [this, id = c.id] { Q_EMIT editRequested(id); });
        QAction *remove = removeMenu->addAction(name);
        // The window's own connection stays while it works on it.
        remove->setEnabled(c.id != m_current.id);
        connect(remove, &QAction::triggered, this, [this, id = c.id] { Q_EMIT removeRequested(id); });
    }
    m_menu->addSeparator();
    connect(m_menu->addAction(tr("Add connection…")), &QAction::triggered, this, [this] { Q_EMIT addRequested(); });
    editMenu->setEnabled(!editMenu->isEmpty());
    removeMenu->setEnabled(!removeMenu->isEmpty());
    m_menu->addMenu(editMenu);
    m_menu->addMenu(removeMenu);

    const ConnectionHealth now = m_health.value(keyOf(m_current));
    setIcon(dot(now.state));
    setText(m_current.name.isEmpty() ? m_current.url.toDisplayString() : m_current.name);
}

} // namespace cd::ui

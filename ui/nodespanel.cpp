#include "nodespanel.h"

#include "colours.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace cd::ui {

namespace {

QString age(qint64 secs)
{
    if (secs < 0)
        return QStringLiteral("?");
    if (secs < 120)
        return NodesPanel::tr("%1 s").arg(secs);
    if (secs < 2 * 3600)
        return NodesPanel::tr("%1 min").arg(secs / 60);
    if (secs < 2 * 86400)
        return NodesPanel::tr("%1 h").arg(secs / 3600);
    return NodesPanel::tr("%1 days").arg(secs / 86400);
}

QString stateText(const session::NodeStatus &n)
{
    if (n.alive)
        return NodesPanel::tr("alive · beat %1 ago").arg(age(n.heartbeatAgeS));
    if (!n.heartbeatAt.isValid())
        return NodesPanel::tr("stopped");
    return NodesPanel::tr("lost · no beat for %1").arg(age(n.heartbeatAgeS));
}

QString runningText(const session::NodeStatus &n)
{
    QStringList parts;
    for (auto b : model::allBackends())
        if (const int count = n.running.value(b); count > 0)
            parts << QStringLiteral("%1 %2").arg(model::toString(b)).arg(count);
    return parts.isEmpty() ? NodesPanel::tr("idle") : parts.join(QStringLiteral(", "));
}

} // namespace

NodesPanel::NodesPanel(session::Session *session, QWidget *parent) : QWidget(parent), m_session(session)
{
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_list = new QTreeWidget(this);
    m_list->setColumnCount(ColumnCount);
    m_list->setHeaderLabels(
        {tr("Node"), tr("Address"), tr("Version"), tr("State"), tr("Leader"), tr("Jobs"), tr("Started")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setAlternatingRowColors(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->header()->setStretchLastSection(false);
    m_list->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_list->header()->setSectionResizeMode(Address, QHeaderView::Stretch);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_summary);
    layout->addWidget(m_list);
    m_summary->setText(tr("Reading the nodes…"));

    m_poll.setInterval(kPollMs);
    connect(&m_poll, &QTimer::timeout, this, &NodesPanel::refresh);
}

void NodesPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
    m_poll.start();
}

void NodesPanel::hideEvent(QHideEvent *event)
{
    // Nobody looks: no requests.
    m_poll.stop();
    QWidget::hideEvent(event);
}

void NodesPanel::refresh()
{
    if (m_asking)
        return;
    m_asking = true;
    // Answered now or later: either way through the event loop's next turn for the widgets.
    m_session->nodes(this, [this](Result<QList<session::NodeStatus>> nodes) {
        m_asking = false;
        showNodes(nodes);
    });
}

QString NodesPanel::summary() const
{
    return m_summary->text();
}

void NodesPanel::showNodes(const Result<QList<session::NodeStatus>> &answer)
{
    if (!answer) {
        // What was listed stays, marked as not current.
        m_summary->setText(tr("The nodes cannot be listed right now: %1").arg(answer.error().detail));
        Q_EMIT refreshed();
        return;
    }
    const QList<session::NodeStatus> &nodes = answer.value();
    const QString selected = m_list->currentItem() ? m_list->currentItem()->text(Id) : QString();
    const QColor lost = statusColour(model::JobStatus::Failed);
    const QColor alive = statusColour(model::JobStatus::Completed);
    m_list->clear();
    for (const auto &n : nodes) {
        auto *item = new QTreeWidgetItem(m_list);
        item->setText(Id, n.id);
        item->setText(Address, n.address.isEmpty() ? QStringLiteral("—") : n.address);
        item->setText(Version, n.version);
        item->setText(State, stateText(n));
        item->setText(Leader, n.leader ? tr("leader") : QString());
        item->setText(Running, runningText(n));
        item->setText(Started, n.startedAt.isValid()
                                   ? QLocale().toString(n.startedAt.toLocalTime(), QLocale::ShortFormat)
                                   : QStringLiteral("—"));
        if (n.alive) {
            item->setForeground(State, alive);
        } else {
            for (int c = 0; c < ColumnCount; ++c)
                item->setForeground(c, lost);
            item->setToolTip(State, n.heartbeatAt.isValid()
                                        ? tr("No heartbeat since %1: the leader rescues its jobs")
                                              .arg(QLocale().toString(n.heartbeatAt.toLocalTime(), QLocale::LongFormat))
                                        : tr("Stopped on purpose; its jobs were handed on"));
        }
        if (n.leader) {
            QFont bold = item->font(Id);
            bold.setBold(true);
            item->setFont(Id, bold);
        }
        if (n.id == selected)
            m_list->setCurrentItem(item);
    }
    const auto up = std::count_if(nodes.cbegin(), nodes.cend(), [](const auto &n) { return n.alive; });
    const auto stopped =
        std::count_if(nodes.cbegin(), nodes.cend(), [](const auto &n) { return !n.heartbeatAt.isValid(); });
    const auto lostCount = nodes.size() - up - stopped;
    if (nodes.size() <= 1) {
        m_summary->setText(m_session->can(session::Capability::LocalFiles) ? tr("Single node (this computer)")
                                                                           : tr("Single node"));
    } else {
        QStringList parts{tr("%1 alive").arg(up)};
        if (lostCount > 0)
            parts << tr("%1 lost").arg(lostCount);
        if (stopped > 0)
            parts << tr("%1 stopped").arg(stopped);
        m_summary->setText(tr("%1 nodes: %2").arg(nodes.size()).arg(parts.join(QStringLiteral(", "))));
    }
    Q_EMIT refreshed();
}

} // namespace cd::ui

#pragma once

#include "common/result.h"
#include "session/session.h"

#include <QTimer>
#include <QWidget>

class QLabel;
class QTreeWidget;

namespace cd::ui {

// The nodes of the service the window works on (DESIGN §7): each one's address, version, whether
// it is alive or lost (and how long since its heartbeat), whether it leads, and its jobs per
// backend. Asked again every few seconds while the panel is visible, never while an answer is
// still on its way; a lost node reads in the palette's error colour.
class NodesPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NodesPanel)
public:
    enum Column { Id, Address, Version, State, Leader, Running, Started, ColumnCount };
    static constexpr int kPollMs = 3000;

    explicit NodesPanel(session::Session *session, QWidget *parent = nullptr);

    // Asks the session now, unless an answer is already on its way.
    void refresh();
    QTreeWidget *list() const { return m_list; }
    // The line above the list: how many nodes, or why none could be listed.
    QString summary() const;
    bool isPolling() const { return m_poll.isActive(); }
    // A few rows high: docked under the jobs, it leaves them most of the window.
    QSize sizeHint() const override { return {640, 170}; }

Q_SIGNALS:
    // An answer was shown.
    void refreshed();

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void showNodes(const Result<QList<session::NodeStatus>> &nodes);

    session::Session *m_session;
    QLabel *m_summary;
    QTreeWidget *m_list;
    QTimer m_poll;
    bool m_asking = false;
};

} // namespace cd::ui

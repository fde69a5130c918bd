#include "emptystate.h"

#include <QAbstractItemView>
#include <QEvent>
#include <QPalette>

namespace cd::ui {

EmptyState::EmptyState(QAbstractItemView *view, std::function<QString()> text)
    : QLabel(view->viewport()), m_view(view), m_text(std::move(text))
{
    setAlignment(Qt::AlignCenter);
    setWordWrap(true);
    setAttribute(Qt::WA_TransparentForMouseEvents);
    setForegroundRole(QPalette::PlaceholderText);
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 1.15);
    setFont(f);
    view->viewport()->installEventFilter(this);
    QAbstractItemModel *model = view->model();
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(model, signal, this, &EmptyState::refresh);
    connect(model, &QAbstractItemModel::modelReset, this, &EmptyState::refresh);
    connect(model, &QAbstractItemModel::layoutChanged, this, &EmptyState::refresh);
    refresh();
}

void EmptyState::refresh()
{
    const bool empty = m_view->model()->rowCount() == 0;
    if (empty)
        setText(m_text());
    setGeometry(m_view->viewport()->rect().adjusted(24, 24, -24, -24));
    setVisible(empty);
}

bool EmptyState::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        setGeometry(m_view->viewport()->rect().adjusted(24, 24, -24, -24));
    return QLabel::eventFilter(watched, event);
}

} // namespace cd::ui

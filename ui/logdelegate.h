#pragma once

#include <QStyledItemDelegate>

namespace cd::ui {

// Paints log lines, marking every occurrence of the search text; a line still on its way is a faint
// bar of a line's length.
class LogDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void setHighlight(const QString &text) { m_highlight = text; }
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    QString m_highlight;
};

} // namespace cd::ui

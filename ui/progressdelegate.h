#pragma once

#include <QStyledItemDelegate>

namespace cd::ui {

// Draws a job's progress as a native progress bar.
class ProgressDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace cd::ui

#pragma once

#include <QStyledItemDelegate>

class QTextLayout;

namespace cd::ui {

// Paints log lines, marking every occurrence of the search text; a line still on its way is a faint
// bar of a line's length. Wrapped, a row is as tall as its line needs (at most kMaxWrappedLines).
class LogDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    // A 64 KiB line wrapped whole would fill screens; past this many lines it is cut (its tooltip
    // has more).
    static constexpr int kMaxWrappedLines = 12;

    using QStyledItemDelegate::QStyledItemDelegate;
    void setHighlight(const QString &text) { m_highlight = text; }
    // Long lines wrapped at the column's width (the row's height then fits them) instead of cut.
    void setWrap(bool on) { m_wrap = on; }
    bool wrapping() const { return m_wrap; }
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    // The line laid out in `width`, wrapped or not, with the search matches marked.
    void layOut(QTextLayout &layout, int width, const QPalette &palette) const;

    QString m_highlight;
    bool m_wrap = false;
};

} // namespace cd::ui

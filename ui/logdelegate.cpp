#include "logdelegate.h"

#include <QApplication>
#include <QPainter>

namespace cd::ui {

void LogDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    const QWidget *w = option.widget;
    QStyle *style = w ? w->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, w);

    const QRect r = style->subElementRect(QStyle::SE_ItemViewItemText, &opt, w).adjusted(2, 0, -2, 0);
    const QFontMetrics fm(opt.font);
    painter->save();
    painter->setFont(opt.font);
    if (!m_highlight.isEmpty()) {
        // Mark matches behind the text; positions from the font's advances of the prefix.
        QColor mark = opt.palette.color(QPalette::Highlight);
        mark.setAlpha(90);
        qsizetype from = 0;
        while ((from = text.indexOf(m_highlight, from, Qt::CaseInsensitive)) >= 0) {
            const int x = r.left() + fm.horizontalAdvance(text.left(from));
            const int width = fm.horizontalAdvance(text.mid(from, m_highlight.size()));
            if (x > r.right())
                break;
            painter->fillRect(QRect(x, r.top() + 1, width, r.height() - 2), mark);
            from += m_highlight.size();
        }
    }
    const bool selected = opt.state & QStyle::State_Selected;
    const QVariant fg = index.data(Qt::ForegroundRole);
    painter->setPen(selected       ? opt.palette.color(QPalette::HighlightedText)
                    : fg.isValid() ? fg.value<QBrush>().color()
                                   : opt.palette.color(QPalette::Text));
    painter->drawText(r, Qt::AlignVCenter | Qt::AlignLeft | Qt::TextSingleLine,
                      fm.elidedText(text, Qt::ElideRight, r.width()));
    painter->restore();
}

} // namespace cd::ui

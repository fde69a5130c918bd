#include "logdelegate.h"

#include "colours.h"
#include "logmodel.h"

#include <QApplication>
#include <QPainter>

#include <algorithm>

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
    if (index.data(LogModel::PendingRole).toBool()) {
        // Lengths vary by seq so the rows read as lines to come, not as one grey block.
        static constexpr int kColumns[] = {46, 71, 58, 83, 64};
        const int columns = kColumns[index.data(LogModel::SeqRole).toLongLong() % 5];
        QColor bar = placeholderColour();
        bar.setAlpha(90);
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(Qt::NoPen);
        painter->setBrush(bar);
        const int h = std::max(4, r.height() / 3);
        painter->drawRoundedRect(QRect(r.left(), r.center().y() - h / 2,
                                       std::min(r.width(), fm.horizontalAdvance(QLatin1Char('x')) * columns), h),
                                 h / 2.0, h / 2.0);
        painter->restore();
        return;
    }
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

#include "logdelegate.h"

#include "colours.h"
#include "logmodel.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QPainter>
#include <QTextLayout>

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
    const bool selected = opt.state & QStyle::State_Selected;
    const QVariant fg = index.data(Qt::ForegroundRole);
    const QColor pen = selected       ? opt.palette.color(QPalette::HighlightedText)
                       : fg.isValid() ? fg.value<QBrush>().color()
                                      : opt.palette.color(QPalette::Text);
    painter->save();
    painter->setFont(opt.font);
    if (m_wrap) {
        QTextLayout layout(text, opt.font);
        layOut(layout, r.width(), opt.palette);
        painter->setPen(pen);
        painter->setClipRect(r);
        QList<QTextLayout::FormatRange> marks;
        for (qsizetype from = 0;
             !m_highlight.isEmpty() && (from = text.indexOf(m_highlight, from, Qt::CaseInsensitive)) >= 0;
             from += m_highlight.size()) {
            QTextLayout::FormatRange m;
            m.start = static_cast<int>(from);
            m.length = static_cast<int>(m_highlight.size());
            QColor mark = opt.palette.color(QPalette::Highlight);
            mark.setAlpha(90);
            m.format.setBackground(mark);
            marks << m;
        }
        layout.draw(painter, QPointF(r.left(), r.top() + 2), marks);
        painter->restore();
        return;
    }
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
    painter->setPen(pen);
    painter->drawText(r, Qt::AlignVCenter | Qt::AlignLeft | Qt::TextSingleLine,
                      fm.elidedText(text, Qt::ElideRight, r.width()));
    painter->restore();
}

void LogDelegate::layOut(QTextLayout &layout, int width, const QPalette &) const
{
    QTextOption wrap(Qt::AlignLeft);
    wrap.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(wrap);
    layout.beginLayout();
    qreal y = 0;
    for (int n = 0; n < kMaxWrappedLines; ++n) {
        QTextLine line = layout.createLine();
        if (!line.isValid())
            break;
        line.setLineWidth(std::max(1, width));
        line.setPosition(QPointF(0, y));
        y += line.height();
    }
    layout.endLayout();
}

QSize LogDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const QSize base = QStyledItemDelegate::sizeHint(option, index);
    const QFontMetrics fm(option.font);
    const int oneLine = fm.height() + 4;
    if (!m_wrap || index.data(LogModel::PendingRole).toBool())
        return {base.width(), oneLine};
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QWidget *w = option.widget;
    QStyle *style = w ? w->style() : QApplication::style();
    // The column's width, as paint() will have it.
    int width = w ? w->width() : 600;
    if (const auto *view = qobject_cast<const QAbstractItemView *>(w))
        width = view->viewport()->width();
    opt.rect = QRect(0, 0, width, oneLine);
    const int textWidth = style->subElementRect(QStyle::SE_ItemViewItemText, &opt, w).adjusted(2, 0, -2, 0).width();
    QTextLayout layout(opt.text, opt.font);
    layOut(layout, textWidth, opt.palette);
    return {base.width(), std::max(oneLine, static_cast<int>(layout.boundingRect().height()) + 4)};
}

} // namespace cd::ui

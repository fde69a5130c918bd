#pragma once

#include <QLabel>

#include <functional>

class QAbstractItemView;

namespace cd::ui {

// Says what to do next over a view with no rows: a line centred on its viewport, shown only while
// the model is empty. The text is asked for each time (it depends on whether a filter is on).
class EmptyState final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EmptyState)
public:
    EmptyState(QAbstractItemView *view, std::function<QString()> text);
    // Reads the model and the text again (after a filter changed).
    void refresh();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QAbstractItemView *m_view;
    std::function<QString()> m_text;
};

} // namespace cd::ui

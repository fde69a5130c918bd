#pragma once

#include "common/result.h"

#include <QWidget>

class QTableView;
class QLineEdit;
class QComboBox;
class QCheckBox;
class QLabel;
class QToolButton;

namespace cd::store {
class LogStore;
}
namespace cd::logs {
class LogBus;
}

namespace cd::ui {

class LogModel;
class LogDelegate;

// The log console of one job: a virtualised view over its whole log (any length), colour per
// level, follow-tail that turns itself off when the user scrolls up, search with highlight and
// next/previous, level filter, timestamps toggle, jump to first error, copy, save.
class LogConsole : public QWidget
{
    Q_OBJECT
public:
    LogConsole(store::LogStore *store, logs::LogBus *bus, QWidget *parent = nullptr);

    void setJob(const QString &jobId);
    LogModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    bool following() const;
    void setFollowing(bool on);

    // Selects the next/previous line containing `text`; false when there is none.
    bool find(const QString &text, bool forward = true);
    bool jumpToFirstError();
    int currentRow() const;
    QString selectedText() const;
    void copySelection() const;
    Status saveTo(const QString &path) const;
    void focusSearch();

private:
    void onRowsInserted();
    void applyLevelFilter();
    void saveInteractive();

    store::LogStore *m_store;
    LogModel *m_model;
    LogDelegate *m_delegate;
    QTableView *m_view;
    QLineEdit *m_search;
    QLabel *m_searchState;
    QComboBox *m_levels;
    QCheckBox *m_timestamps;
    QCheckBox *m_follow;
    bool m_autoScrolling = false;
};

} // namespace cd::ui

#pragma once

#include "common/result.h"
#include "model/logline.h"

#include <QFile>
#include <QWidget>

#include <functional>
#include <memory>

class QTableView;
class QLineEdit;
class QComboBox;
class QCheckBox;
class QLabel;
class QToolButton;
class QTimer;

namespace cd::session {
class Session;
}

namespace cd::ui {

class LogModel;
class LogDelegate;

// The log console of one job: a virtualised view over its whole log (any length), colour per
// level, follow-tail that turns itself off when the user scrolls up, search with highlight and
// next/previous and a match count ("3 of 41", counted by the service), level filter with a Hide
// DEBUG preset, timestamps toggle, wrapping of long lines, jump to first error, copy, save; a line's
// full text in its tooltip.
// Search, first error and save ask the session and finish when it answers.
class LogConsole final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LogConsole)
public:
    explicit LogConsole(session::Session *session, QWidget *parent = nullptr);

    void setJob(const QString &jobId);
    LogModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    bool following() const;
    void setFollowing(bool on);

    // Selects the next/previous line containing `text` (wrapping around); searchFinished says
    // whether there was one.
    void find(const QString &text, bool forward = true);
    void jumpToFirstError();
    int currentRow() const;
    QString selectedText() const;
    void copySelection() const;
    // Writes the whole log (at the level filter) to `path`, page by page as the session answers.
    void saveTo(const QString &path, std::function<void(Status)> done);
    void focusSearch();
    QString searchText() const;
    // What the search state says: "3 of 41", "41 matches", "not found", ...
    QString searchStateText() const;
    // The DEBUG lines hidden (a preset over the level filter: the crawler logs mostly DEBUG).
    bool hidingDebug() const;
    void setHideDebug(bool on);
    // Long lines wrapped over several rows' height instead of cut at the edge.
    bool wrapping() const;
    void setWrap(bool on);

Q_SIGNALS:
    void searchFinished(bool found);
    // The service answered how many lines match the search (and the current match's rank).
    void matchCountChanged(qint64 count, qint64 rank);

private:
    void onRowsInserted();
    void applyLevelFilter();
    void saveInteractive();
    void showRow(int row);
    // Asks how many lines match the search text; with `atRow`, the rank of that row's line too.
    void countMatches(int atRow);
    // Wrapping: fits the height of the rows in view to their text.
    void fitVisibleRows();
    void savePage(const std::shared_ptr<QFile> &file, const QString &jobId, const QList<model::LogLevel> &levels,
                  qint64 after, const std::function<void(Status)> &done);

    session::Session *m_session;
    LogModel *m_model;
    LogDelegate *m_delegate;
    QTableView *m_view;
    QLineEdit *m_search;
    QLabel *m_searchState;
    QComboBox *m_levels;
    QCheckBox *m_timestamps;
    QCheckBox *m_follow;
    QCheckBox *m_hideDebug;
    QCheckBox *m_wrap;
    QTimer *m_countDelay;
    QTimer *m_fitDelay;
    bool m_autoScrolling = false;
    quint64 m_searchGeneration = 0; // a newer search or job drops an older search's answer
    quint64 m_countGeneration = 0;  // the same for match counts
};

} // namespace cd::ui

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

namespace cd::session {
class Session;
}

namespace cd::ui {

class LogModel;
class LogDelegate;

// The log console of one job: a virtualised view over its whole log (any length), colour per
// level, follow-tail that turns itself off when the user scrolls up, search with highlight and
// next/previous, level filter, timestamps toggle, jump to first error, copy, save.
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

Q_SIGNALS:
    void searchFinished(bool found);

private:
    void onRowsInserted();
    void applyLevelFilter();
    void saveInteractive();
    void showRow(int row);
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
    bool m_autoScrolling = false;
    quint64 m_searchGeneration = 0; // a newer search or job drops an older search's answer
};

} // namespace cd::ui

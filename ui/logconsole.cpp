#include "logconsole.h"

#include "logdelegate.h"
#include "logmodel.h"
#include "model/job.h"
#include "session/session.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QScrollBar>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace cd::ui {

using model::LogLevel;

LogConsole::LogConsole(session::Session *session, QWidget *parent)
    : QWidget(parent), m_session(session), m_model(new LogModel(session, this)), m_delegate(new LogDelegate(this))
{
    m_view = new QTableView(this);
    m_view->setModel(m_model);
    m_view->setItemDelegate(m_delegate);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->horizontalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->verticalHeader()->hide();
    // Fixed row height: the view never measures rows, so millions of lines cost nothing up front.
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(QFontMetrics(m_view->font()).height() + 4);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);

    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search the log (Enter: next, Shift+Enter: previous)"));
    m_search->setClearButtonEnabled(true);
    m_searchState = new QLabel(this);
    auto *prev = new QToolButton(this);
    prev->setText(QStringLiteral("▲"));
    prev->setToolTip(tr("Previous match (Shift+F3)"));
    auto *next = new QToolButton(this);
    next->setText(QStringLiteral("▼"));
    next->setToolTip(tr("Next match (F3)"));
    m_levels = new QComboBox(this);
    m_levels->addItem(tr("All levels"));
    m_levels->addItem(tr("Warnings and errors"));
    m_levels->addItem(tr("Errors only"));
    m_levels->addItem(tr("Success and summary"));
    m_timestamps = new QCheckBox(tr("Timestamps"), this);
    m_timestamps->setChecked(true);
    m_follow = new QCheckBox(tr("Follow"), this);
    m_follow->setChecked(true);
    m_follow->setToolTip(tr("Keep the newest line in view; scrolling up turns this off"));
    m_hideDebug = new QCheckBox(tr("Hide DEBUG"), this);
    m_hideDebug->setToolTip(tr("Leave out DEBUG lines (most of what a crawler writes)"));
    m_wrap = new QCheckBox(tr("Wrap"), this);
    m_wrap->setToolTip(tr("Show long lines whole, over several lines"));
    // Counting a log of millions of lines is the service's work: not on every keystroke.
    m_countDelay = new QTimer(this);
    m_countDelay->setSingleShot(true);
    m_countDelay->setInterval(250);
    m_fitDelay = new QTimer(this);
    m_fitDelay->setSingleShot(true);
    m_fitDelay->setInterval(0);
    auto *firstError = new QToolButton(this);
    firstError->setText(tr("First error"));
    auto *save = new QToolButton(this);
    save->setText(tr("Save…"));

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(m_search, 1);
    bar->addWidget(prev);
    bar->addWidget(next);
    bar->addWidget(m_searchState);
    bar->addSpacing(8);
    bar->addWidget(m_levels);
    bar->addWidget(m_hideDebug);
    bar->addWidget(m_timestamps);
    bar->addWidget(m_wrap);
    bar->addWidget(m_follow);
    bar->addWidget(firstError);
    bar->addWidget(save);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_view);

    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &t) {
        m_delegate->setHighlight(t);
        m_searchState->clear();
        ++m_countGeneration;
        if (!t.isEmpty())
            m_countDelay->start();
        m_view->viewport()->update();
    });
    connect(m_countDelay, &QTimer::timeout, this, [this] { countMatches(-1); });
    connect(m_hideDebug, &QCheckBox::toggled, this, [this] { applyLevelFilter(); });
    connect(m_wrap, &QCheckBox::toggled, this, [this](bool on) { setWrap(on); });
    connect(m_fitDelay, &QTimer::timeout, this, [this] { fitVisibleRows(); });
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, m_fitDelay, qOverload<>(&QTimer::start));
    connect(m_model, &QAbstractItemModel::dataChanged, m_fitDelay, qOverload<>(&QTimer::start));
    connect(m_model, &QAbstractItemModel::modelReset, m_fitDelay, qOverload<>(&QTimer::start));
    connect(m_view->horizontalHeader(), &QHeaderView::sectionResized, m_fitDelay, qOverload<>(&QTimer::start));
    connect(m_search, &QLineEdit::returnPressed, this,
            [this] { find(m_search->text(), !(QApplication::keyboardModifiers() & Qt::ShiftModifier)); });
    connect(next, &QToolButton::clicked, this, [this] { find(m_search->text(), true); });
    connect(prev, &QToolButton::clicked, this, [this] { find(m_search->text(), false); });
    auto *f3 = new QAction(this);
    f3->setShortcut(QKeySequence::FindNext);
    connect(f3, &QAction::triggered, this, [this] { find(m_search->text(), true); });
    auto *shiftF3 = new QAction(this);
    shiftF3->setShortcut(QKeySequence::FindPrevious);
    connect(shiftF3, &QAction::triggered, this, [this] { find(m_search->text(), false); });
    auto *copy = new QAction(tr("Copy"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copy, &QAction::triggered, this, [this] { copySelection(); });
    addActions({f3, shiftF3, copy});
    connect(m_levels, &QComboBox::currentIndexChanged, this, [this] { applyLevelFilter(); });
    connect(m_timestamps, &QCheckBox::toggled, m_model, &LogModel::setShowTimestamps);
    connect(m_follow, &QCheckBox::toggled, this, [this](bool on) {
        if (on)
            m_view->scrollToBottom();
    });
    connect(firstError, &QToolButton::clicked, this, [this] { jumpToFirstError(); });
    connect(save, &QToolButton::clicked, this, [this] { saveInteractive(); });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] { onRowsInserted(); });
    // Scrolling away from the end stops following; back at the end resumes it.
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int v) {
        if (m_autoScrolling)
            return;
        const bool atEnd = v >= m_view->verticalScrollBar()->maximum();
        if (m_follow->isChecked() != atEnd)
            m_follow->setChecked(atEnd);
    });
    connect(m_view, &QTableView::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu menu(this);
        menu.addAction(tr("Copy"), this, [this] { copySelection(); });
        menu.addAction(tr("Save whole log…"), this, [this] { saveInteractive(); });
        menu.exec(m_view->viewport()->mapToGlobal(pos));
    });
}

void LogConsole::setJob(const QString &jobId)
{
    if (jobId == m_model->jobId())
        return;
    ++m_searchGeneration;
    ++m_countGeneration;
    // A search belongs to the log it was typed for.
    m_search->clear();
    m_model->setJob(jobId);
    m_searchState->clear();
    setFollowing(true);
}

bool LogConsole::following() const
{
    return m_follow->isChecked();
}

void LogConsole::setFollowing(bool on)
{
    m_follow->setChecked(on);
    if (on) {
        m_autoScrolling = true;
        m_view->scrollToBottom();
        m_autoScrolling = false;
    }
}

void LogConsole::onRowsInserted()
{
    if (!m_follow->isChecked())
        return;
    m_autoScrolling = true;
    m_view->scrollToBottom();
    m_autoScrolling = false;
}

void LogConsole::applyLevelFilter()
{
    static const QList<QList<LogLevel>> choices{
        {},
        {LogLevel::Warning, LogLevel::Error},
        {LogLevel::Error},
        {LogLevel::Success, LogLevel::Summary},
    };
    QList<LogLevel> levels = choices.value(m_levels->currentIndex());
    if (levels.isEmpty() && m_hideDebug->isChecked())
        levels = {LogLevel::Info, LogLevel::Success, LogLevel::Warning, LogLevel::Error, LogLevel::Summary};
    m_model->setLevelFilter(levels);
    // What counts as a match follows what is shown.
    ++m_countGeneration;
    if (!m_search->text().isEmpty())
        m_countDelay->start();
    if (m_follow->isChecked())
        m_view->scrollToBottom();
}

int LogConsole::currentRow() const
{
    return m_view->currentIndex().isValid() ? m_view->currentIndex().row() : -1;
}

void LogConsole::find(const QString &text, bool forward)
{
    if (text.isEmpty()) {
        Q_EMIT searchFinished(false);
        return;
    }
    if (m_search->text() != text)
        m_search->setText(text);
    m_countDelay->stop(); // the match found counts with its rank instead
    m_delegate->setHighlight(text);
    const quint64 generation = ++m_searchGeneration;
    const int from = currentRow();
    m_searchState->setText(tr("searching…"));
    m_model->find(text, from, forward, [this, generation, text, from, forward](int row) {
        if (generation != m_searchGeneration)
            return;
        if (row >= 0 || from < 0) {
            showRow(row);
            return;
        }
        m_model->find(text, -1, forward, [this, generation](int wrapped) { // wrap around
            if (generation == m_searchGeneration)
                showRow(wrapped);
        });
    });
}

void LogConsole::showRow(int row)
{
    if (row < 0) {
        m_searchState->setText(tr("not found"));
        Q_EMIT searchFinished(false);
        return;
    }
    m_searchState->setText(tr("line %1").arg(m_model->seqForRow(row)));
    countMatches(row);
    setFollowing(false);
    const QModelIndex idx = m_model->index(row);
    m_view->setCurrentIndex(idx);
    m_view->scrollTo(idx, QAbstractItemView::PositionAtCenter);
    m_view->viewport()->update();
    Q_EMIT searchFinished(true);
}

void LogConsole::jumpToFirstError()
{
    const quint64 generation = ++m_searchGeneration;
    m_model->firstError([this, generation](int row) {
        if (generation != m_searchGeneration)
            return;
        if (row < 0) {
            m_searchState->setText(tr("no errors"));
            Q_EMIT searchFinished(false);
            return;
        }
        showRow(row);
    });
}

QString LogConsole::selectedText() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList lines;
    for (const QModelIndex &i : rows)
        lines << i.data().toString();
    return lines.join(u'\n');
}

void LogConsole::copySelection() const
{
    const QString text = selectedText();
    if (!text.isEmpty())
        QApplication::clipboard()->setText(text);
}

void LogConsole::saveTo(const QString &path, std::function<void(Status)> done)
{
    auto file = std::make_shared<QFile>(path);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate))
        return done(Error::make(Error::Code::Unavailable,
                                QStringLiteral("cannot write %1: %2").arg(path, file->errorString())));
    savePage(file, m_model->jobId(), m_model->levelFilter(), 0, done);
}

void LogConsole::savePage(const std::shared_ptr<QFile> &file, const QString &jobId, const QList<LogLevel> &levels,
                          qint64 after, const std::function<void(Status)> &done)
{
    static constexpr int kPage = 10000;
    m_session->logLines(store::LogQuery{jobId, after, kPage, levels, {}}, this,
                        [this, file, jobId, levels, done](Result<model::LogLines> page) {
                            if (!page)
                                return done(page.error());
                            for (const auto &l : page.value())
                                file->write(model::isoUtc(l.ts).toUtf8() + ' ' + model::toString(l.level).toUtf8() +
                                            ' ' + l.message.toUtf8() + '\n');
                            if (page->size() == kPage)
                                return savePage(file, jobId, levels, page->last().seq, done);
                            file->close();
                            done(file->error() == QFileDevice::NoError
                                     ? Status(Ok{})
                                     : Status(Error::make(Error::Code::Unavailable, file->errorString())));
                        });
}

void LogConsole::saveInteractive()
{
    if (m_model->jobId().isEmpty())
        return;
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save log"), m_model->jobId().left(8) + QStringLiteral(".log"), tr("Log files (*.log *.txt)"));
    if (path.isEmpty())
        return;
    saveTo(path, [this](const Status &st) {
        if (!st)
            QMessageBox::warning(this, tr("Save log"), st.error().detail);
    });
}

void LogConsole::countMatches(int atRow)
{
    const QString text = m_search->text();
    const quint64 generation = ++m_countGeneration;
    if (text.isEmpty() || m_model->jobId().isEmpty())
        return;
    const qint64 atSeq = atRow >= 0 ? m_model->seqForRow(atRow) : 0;
    m_session->countInLog(m_model->jobId(), text, m_model->levelFilter(), atSeq, this,
                          [this, generation, atSeq](Result<session::LogMatchCount> r) {
                              if (generation != m_countGeneration || !r)
                                  return;
                              const qint64 count = r->count;
                              if (count == 0)
                                  m_searchState->setText(tr("not found"));
                              else if (atSeq > 0 && r->rank > 0)
                                  m_searchState->setText(tr("%1 of %2").arg(r->rank).arg(count));
                              else
                                  m_searchState->setText(count == 1 ? tr("1 match") : tr("%1 matches").arg(count));
                              Q_EMIT matchCountChanged(count, atSeq > 0 ? r->rank : 0);
                          });
}

QString LogConsole::searchText() const
{
    return m_search->text();
}

QString LogConsole::searchStateText() const
{
    return m_searchState->text();
}

bool LogConsole::hidingDebug() const
{
    return m_hideDebug->isChecked();
}

void LogConsole::setHideDebug(bool on)
{
    m_hideDebug->setChecked(on);
}

bool LogConsole::wrapping() const
{
    return m_wrap->isChecked();
}

void LogConsole::setWrap(bool on)
{
    if (m_wrap->isChecked() != on)
        m_wrap->setChecked(on); // comes back here through toggled()
    if (m_delegate->wrapping() == on)
        return;
    m_delegate->setWrap(on);
    m_view->setWordWrap(on);
    if (!on) // every row back to one line's height
        m_view->verticalHeader()->setDefaultSectionSize(QFontMetrics(m_view->font()).height() + 4);
    fitVisibleRows();
    m_view->viewport()->update();
}

void LogConsole::fitVisibleRows()
{
    // Only the rows in view are measured: the log may have millions, and a row's height is known
    // once its line is.
    if (!m_delegate->wrapping() || m_model->rowCount() == 0)
        return;
    const int first = std::max(0, m_view->rowAt(0));
    int last = m_view->rowAt(m_view->viewport()->height() - 1);
    if (last < 0)
        last = m_model->rowCount() - 1;
    for (int row = first; row <= last && row < first + 200; ++row)
        m_view->resizeRowToContents(row);
    if (m_follow->isChecked()) {
        m_autoScrolling = true;
        m_view->scrollToBottom();
        m_autoScrolling = false;
    }
}

void LogConsole::focusSearch()
{
    m_search->setFocus();
    m_search->selectAll();
}

} // namespace cd::ui

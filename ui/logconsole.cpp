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
    bar->addWidget(m_timestamps);
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
        m_view->viewport()->update();
    });
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
    m_model->setLevelFilter(choices.value(m_levels->currentIndex()));
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

void LogConsole::focusSearch()
{
    m_search->setFocus();
    m_search->selectAll();
}

} // namespace cd::ui

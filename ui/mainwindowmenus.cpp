// The window's menus: the menu bar, the job row's context menu, the table header's column chooser,
// and the header's state kept in the settings.
#include "aboutdialog.h"
#include "emptystate.h"
#include "jobactions.h"
#include "jobdetailspane.h"
#include "jobfilterproxy.h"
#include "jobtablemodel.h"
#include "logconsole.h"
#include "mainwindow.h"
#include "settings/settings.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QStatusBar>
#include <QTableView>

namespace cd::ui {

void MainWindow::buildHeader()
{
    QHeaderView *header = m_table->horizontalHeader();
    header->setHighlightSections(false);
    header->setSectionsMovable(true);
    header->setStretchLastSection(false);
    for (int c = 0; c < JobTableModel::ColumnCount; ++c)
        m_table->setColumnWidth(c, JobTableModel::defaultWidth(static_cast<JobTableModel::Column>(c)));
    // What the job is takes the room left; the rest keep their widths.
    header->setSectionResizeMode(JobTableModel::What, QHeaderView::Stretch);
    if (m_prefs.settings)
        if (const QByteArray state = m_prefs.settings->jobTableHeader(); !state.isEmpty())
            header->restoreState(state);
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(header, &QHeaderView::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu menu(this);
        fillColumnMenu(&menu);
        menu.exec(m_table->horizontalHeader()->mapToGlobal(pos));
    });
    connect(header, &QHeaderView::sectionMoved, this, [this] { saveHeader(); });
    connect(header, &QHeaderView::sectionResized, this, [this] { saveHeader(); });

    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QTableView::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex idx = m_table->indexAt(pos);
        if (!idx.isValid())
            return;
        m_table->selectRow(idx.row());
        QMenu *menu = jobMenu();
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_table->viewport()->mapToGlobal(pos));
    });
}

void MainWindow::saveHeader()
{
    if (m_prefs.settings)
        m_prefs.settings->setJobTableHeader(m_table->horizontalHeader()->saveState());
}

void MainWindow::fillColumnMenu(QMenu *menu)
{
    QHeaderView *header = m_table->horizontalHeader();
    for (int c = 0; c < JobTableModel::ColumnCount; ++c) {
        // The job's id names the row, and the Node column follows the nodes that ran jobs.
        if (c == JobTableModel::Id || c == JobTableModel::Node)
            continue;
        QAction *a = menu->addAction(m_jobModel->headerData(c, Qt::Horizontal).toString());
        a->setCheckable(true);
        a->setChecked(!header->isSectionHidden(c));
        connect(a, &QAction::toggled, this, [this, c](bool on) {
            m_table->setColumnHidden(c, !on);
            saveHeader();
        });
    }
    menu->addSeparator();
    connect(menu->addAction(tr("Restore default columns")), &QAction::triggered, this, [this] {
        QHeaderView *h = m_table->horizontalHeader();
        for (int c = 0; c < JobTableModel::ColumnCount; ++c) {
            h->moveSection(h->visualIndex(c), c);
            if (c != JobTableModel::Node)
                m_table->setColumnHidden(c, false);
            m_table->setColumnWidth(c, JobTableModel::defaultWidth(static_cast<JobTableModel::Column>(c)));
        }
        saveHeader();
    });
}

void MainWindow::buildMenus()
{
    m_emptyState = new EmptyState(m_table, [this] {
        const bool filtered = !m_filter->text().trimmed().isEmpty() || m_statusFilter->currentIndex() > 0 ||
                              m_backendFilter->currentIndex() > 0;
        if (filtered && m_jobModel->rowCount() > 0)
            return tr("No jobs match the filter");
        return tr("No jobs yet — New job… (Ctrl+N) or POST /api/crawler/start");
    });
    m_jobActions = new JobActions(m_session, this);
    // The console writes logs (one writer for its Save… and this): show the job there, then save.
    m_jobActions->setLogWriter([this](const QString &jobId, const QString &path, auto done) {
        if (m_details->jobId() != jobId)
            m_details->setJob(jobId);
        m_details->console()->saveTo(path, [done](const Status &st) { done(st ? QString() : st.error().detail); });
    });
    connect(m_jobActions, &JobActions::message, this,
            [this](const QString &text) { statusBar()->showMessage(text, 5000); });

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_newAction);
    file->addAction(m_jobActions->exportLog());
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    // QKeySequence::Quit is empty on some platforms (Windows, bare X11): say it.
    quit->setShortcut(Qt::CTRL | Qt::Key_Q);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_jobActions->copyId());
    edit->addAction(m_jobActions->copyCallbackUrl());
    edit->addSeparator();
    edit->addAction(m_findAction);

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    QAction *refreshAction = m_viewMenu->addAction(tr("&Refresh"), this, &MainWindow::refresh);
    refreshAction->setShortcut(QKeySequence::Refresh);
    QMenu *columns = m_viewMenu->addMenu(tr("&Columns"));
    connect(columns, &QMenu::aboutToShow, this, [this, columns] {
        columns->clear();
        fillColumnMenu(columns);
    });
    m_detailsAction = m_viewMenu->addAction(tr("Show &details pane"));
    m_detailsAction->setCheckable(true);
    m_detailsAction->setChecked(true);
    m_detailsAction->setShortcut(Qt::CTRL | Qt::Key_D);
    connect(m_detailsAction, &QAction::toggled, m_detailsArea, &QWidget::setVisible);
    m_viewMenu->addSeparator();

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About Crawldeck"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
}

QMenu *MainWindow::jobMenu()
{
    auto *menu = new QMenu(this);
    QAction *open = new QAction(tr("Open"), menu);
    open->setEnabled(m_jobActions->job().has_value());
    connect(open, &QAction::triggered, this, [this] {
        m_detailsAction->setChecked(true);
        m_details->setCurrentIndex(0);
    });
    menu->addAction(open);
    menu->setDefaultAction(open);
    m_jobActions->fill(menu, {m_cancelAction, m_retryAction, m_cloneAction});
    return menu;
}

void MainWindow::showAbout()
{
    AboutDialog dialog(m_serverDescription, this);
    dialog.exec();
}

} // namespace cd::ui

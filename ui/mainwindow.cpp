#include "mainwindow.h"

#include "jobtablemodel.h"
#include "logmodel.h"
#include "newjobdialog.h"
#include "progressdelegate.h"
#include "scheduler/scheduler.h"
#include "store/jobstore.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

namespace cd::ui {

using model::JobStatus;

namespace {
// Filters on status (a role) and text (any column), on top of sorting.
class JobFilterProxy : public QSortFilterProxyModel
{
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    int status = -1;
    void refilter() { invalidateRowsFilter(); }

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override
    {
        const QModelIndex idx = sourceModel()->index(row, 0, parent);
        if (status >= 0 && idx.data(JobTableModel::StatusRole).toInt() != status)
            return false;
        return QSortFilterProxyModel::filterAcceptsRow(row, parent);
    }
};
} // namespace

MainWindow::MainWindow(const Services &services, QWidget *parent) : QMainWindow(parent), m_s(services)
{
    setWindowTitle(tr("Crawldeck"));
    resize(1200, 780);

    m_jobModel = new JobTableModel(m_s.jobs, this);
    auto *proxy = new JobFilterProxy(this);
    m_proxy = proxy;
    m_proxy->setSourceModel(m_jobModel);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setSortRole(JobTableModel::SortRole);

    m_table = new QTableView(this);
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(JobTableModel::Created, Qt::DescendingOrder);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->setItemDelegateForColumn(JobTableModel::Progress, new ProgressDelegate(m_table));
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(JobTableModel::Kind, QHeaderView::Stretch);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->setColumnWidth(JobTableModel::Id, 90);
    m_table->setColumnWidth(JobTableModel::Backend, 100);
    m_table->setColumnWidth(JobTableModel::Status, 100);
    m_table->setColumnWidth(JobTableModel::Progress, 140);
    m_table->setColumnWidth(JobTableModel::Created, 150);
    m_table->setColumnWidth(JobTableModel::Duration, 110);

    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter jobs (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_statusFilter = new QComboBox(this);
    m_statusFilter->addItem(tr("All statuses"), -1);
    for (auto s : model::allStatuses())
        m_statusFilter->addItem(model::toString(s).replace(u'_', u' '), static_cast<int>(s));
    connect(m_filter, &QLineEdit::textChanged, this, [this] { applyFilter(); });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this, [this] { applyFilter(); });
    auto *findAction = new QAction(this);
    findAction->setShortcut(QKeySequence::Find);
    connect(findAction, &QAction::triggered, m_filter, [this] { m_filter->setFocus(); m_filter->selectAll(); });
    addAction(findAction);

    m_logModel = new LogModel(m_s.logs, m_s.bus, this);
    m_log = new QListView(this);
    m_log->setModel(m_logModel);
    m_log->setUniformItemSizes(true);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_log->setAlternatingRowColors(false);
    m_follow = new QCheckBox(tr("Follow"), this);
    m_follow->setChecked(true);
    connect(m_logModel, &QAbstractItemModel::rowsInserted, m_log, [this] {
        if (m_follow->isChecked())
            m_log->scrollToBottom();
    });
    // Scrolling up stops following; scrolling back to the end resumes it.
    connect(m_log->verticalScrollBar(), &QScrollBar::valueChanged, m_follow, [this](int v) {
        QScrollBar *bar = m_log->verticalScrollBar();
        if (bar->isSliderDown())
            m_follow->setChecked(v == bar->maximum());
    });

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(6, 6, 6, 0);
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_statusFilter);
    topLayout->addLayout(filterRow);
    topLayout->addWidget(m_table);

    auto *bottom = new QWidget(this);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(6, 0, 6, 6);
    auto *logHeader = new QHBoxLayout;
    auto *logTitle = new QLabel(tr("<b>Log</b>"), this);
    logHeader->addWidget(logTitle);
    logHeader->addStretch(1);
    logHeader->addWidget(m_follow);
    bottomLayout->addLayout(logHeader);
    bottomLayout->addWidget(m_log);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(bottom);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    setCentralWidget(split);

    m_listenLabel = new QLabel(this);
    m_listenLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_countsLabel = new QLabel(this);
    statusBar()->addWidget(m_listenLabel, 1);
    statusBar()->addPermanentWidget(m_countsLabel);

    buildActions();
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { onSelectionChanged(); });
    connect(m_jobModel, &QAbstractItemModel::dataChanged, this, [this] { updateActions(); });
    connect(m_s.jobs, &store::JobStore::jobChanged, this, [this] { updateCounts(); });
    connect(m_s.jobs, &store::JobStore::jobAdded, this, [this] { updateCounts(); });
    connect(m_table, &QTableView::activated, this, [this] { m_log->setFocus(); });
    // With nothing selected, follow the newest job so the log pane is never idle.
    connect(m_jobModel, &QAbstractItemModel::rowsInserted, this, [this] {
        if (selectedJobId().isEmpty())
            if (const auto job = m_jobModel->jobAt(0))
                selectJob(job->id);
    });
    if (const auto newest = m_jobModel->jobAt(0))
        selectJob(newest->id);
    // Durations of running jobs tick.
    auto *tick = new QTimer(this);
    connect(tick, &QTimer::timeout, m_table->viewport(), [this] { m_table->viewport()->update(); });
    tick->start(1000);
    updateCounts();
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    auto *bar = addToolBar(tr("Jobs"));
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_newAction = bar->addAction(QIcon::fromTheme(QStringLiteral("document-new")), tr("New job"), this, &MainWindow::newJob);
    m_newAction->setShortcut(QKeySequence::New);
    m_cancelAction = bar->addAction(QIcon::fromTheme(QStringLiteral("process-stop")), tr("Cancel"), this, &MainWindow::cancelJob);
    m_cancelAction->setShortcut(QKeySequence::Delete);
    m_retryAction = bar->addAction(QIcon::fromTheme(QStringLiteral("view-refresh")), tr("Retry"), this, &MainWindow::retryJob);
    m_cloneAction = bar->addAction(QIcon::fromTheme(QStringLiteral("edit-copy")), tr("Clone"), this, &MainWindow::cloneJob);
}

void MainWindow::setServerInfo(const QString &baseUrl, const QString &error, const QString &apiToken, const QStringList &profiles)
{
    m_profiles = profiles;
    if (!error.isEmpty()) {
        m_listenLabel->setText(tr("⚠ HTTP service not running: %1").arg(error));
        m_listenLabel->setStyleSheet(QStringLiteral("color: #d03b3b"));
    } else {
        m_listenLabel->setText(tr("Listening on %1 · callbacks: %1/api/crawler/log").arg(baseUrl));
    }
    m_listenLabel->setToolTip(tr("API token: %1").arg(apiToken));
}

QString MainWindow::selectedJobId() const
{
    const auto rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(JobTableModel::JobIdRole).toString();
}

void MainWindow::onSelectionChanged()
{
    m_logModel->setJob(selectedJobId());
    m_follow->setChecked(true);
    m_log->scrollToBottom();
    updateActions();
}

void MainWindow::updateActions()
{
    const auto job = m_s.jobs->job(selectedJobId());
    const bool has = job.has_value();
    m_cancelAction->setEnabled(has && !model::isTerminal(job->status) && job->status != JobStatus::Cancelling);
    m_retryAction->setEnabled(has && model::isTerminal(job->status) && job->status != JobStatus::Completed);
    m_cloneAction->setEnabled(has);
}

void MainWindow::updateCounts()
{
    const auto c = m_s.jobs->countsByStatus();
    m_countsLabel->setText(tr("queued %1 · running %2 · completed %3 · failed %4")
                               .arg(c.value(JobStatus::Queued))
                               .arg(c.value(JobStatus::Running) + c.value(JobStatus::Starting))
                               .arg(c.value(JobStatus::Completed))
                               .arg(c.value(JobStatus::Failed) + c.value(JobStatus::TimedOut)));
}

void MainWindow::applyFilter()
{
    auto *proxy = static_cast<JobFilterProxy *>(m_proxy);
    proxy->status = m_statusFilter->currentData().toInt();
    proxy->setFilterFixedString(m_filter->text());
    proxy->refilter();
}

void MainWindow::showError(const QString &what, const QString &detail)
{
    QMessageBox::warning(this, what, detail);
}

void MainWindow::newJob()
{
    QList<NewJobDialog::BackendChoice> backends;
    for (auto b : model::allBackends())
        backends.append({b, m_s.scheduler->hasBackend(b),
                         tr("Not configured: set it up in Settings or with the command line / environment.")});
    NewJobDialog dlg(backends, m_profiles, this);
    if (const auto job = m_s.jobs->job(sender() == m_cloneAction ? selectedJobId() : QString()))
        dlg.prefill(*job);
    if (dlg.exec() != QDialog::Accepted)
        return;
    const auto spec = dlg.spec();
    if (const auto *err = std::get_if<QString>(&spec))
        return showError(tr("Cannot start job"), *err);
    const auto job = m_s.scheduler->submit(std::get<model::JobSpec>(spec));
    if (!job)
        return showError(tr("Cannot start job"), job.error().detail);
    selectJob(job->id);
}

void MainWindow::selectJob(const QString &jobId)
{
    const int row = m_jobModel->rowOf(jobId);
    if (row < 0)
        return;
    const QModelIndex idx = m_proxy->mapFromSource(m_jobModel->index(row, 0));
    if (idx.isValid()) {
        m_table->selectRow(idx.row());
        m_table->scrollTo(idx);
    }
}

void MainWindow::cloneJob()
{
    newJob();
}

void MainWindow::cancelJob()
{
    const QString id = selectedJobId();
    if (id.isEmpty())
        return;
    if (QMessageBox::question(this, tr("Cancel job"), tr("Cancel job %1?").arg(id.left(8))) != QMessageBox::Yes)
        return;
    if (const auto r = m_s.scheduler->cancel(id); !r)
        showError(tr("Cannot cancel"), r.error().detail);
}

void MainWindow::retryJob()
{
    const auto r = m_s.scheduler->retry(selectedJobId());
    if (!r)
        showError(tr("Cannot retry"), r.error().detail);
}

} // namespace cd::ui

#include "mainwindow.h"

#include "feed/changefeed.h"
#include "jobdetailspane.h"
#include "jobfilterproxy.h"
#include "jobtablemodel.h"
#include "logconsole.h"
#include "logs/logbus.h"
#include "newjobdialog.h"
#include "progressdelegate.h"
#include "runners/runpodclient.h"
#include "scheduler/scheduler.h"
#include "settings/settings.h"
#include "settingsdialog.h"
#include "store/jobstore.h"
#include "trayicon.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

// The icons live in a static library's resources: register them explicitly (outside any
// namespace, as Q_INIT_RESOURCE requires).
static void initCrawldeckResources()
{
    Q_INIT_RESOURCE(resources);
}

namespace cd::ui {

using model::JobStatus;

namespace {
QIcon themed(const char *name)
{
    const QString n = QLatin1String(name);
    return QIcon::fromTheme(n, QIcon(QStringLiteral(":/icons/") + n + QStringLiteral(".svg")));
}
} // namespace

MainWindow::MainWindow(const Services &services, QWidget *parent) : QMainWindow(parent), m_s(services)
{
    initCrawldeckResources();
    setWindowTitle(tr("Crawldeck"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/crawldeck.svg")));
    resize(1280, 820);
    m_confirm = [this](const QString &question) {
        return QMessageBox::question(this, tr("Crawldeck"), question) == QMessageBox::Yes;
    };

    m_jobModel = new JobTableModel(m_s.jobs, m_s.bus->feed(), this);
    m_proxy = new JobFilterProxy(this);
    m_proxy->setSourceModel(m_jobModel);
    m_proxy->setSortRole(JobTableModel::SortRole);

    m_table = new QTableView(this);
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(JobTableModel::Created, Qt::DescendingOrder);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(26);
    m_table->setItemDelegateForColumn(JobTableModel::Progress, new ProgressDelegate(m_table));
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->horizontalHeader()->setSectionResizeMode(JobTableModel::Kind, QHeaderView::Stretch);
    m_table->setColumnWidth(JobTableModel::Id, 90);
    m_table->setColumnWidth(JobTableModel::Backend, 100);
    m_table->setColumnWidth(JobTableModel::Status, 120);
    m_table->setColumnWidth(JobTableModel::Progress, 140);
    m_table->setColumnWidth(JobTableModel::Created, 150);
    m_table->setColumnWidth(JobTableModel::Duration, 100);
    m_table->setColumnWidth(JobTableModel::Attempt, 70);

    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter jobs by id, kind, params or error (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_statusFilter = new QComboBox(this);
    m_statusFilter->addItem(tr("All statuses"), -1);
    for (auto s : model::allStatuses())
        m_statusFilter->addItem(model::toString(s).replace(u'_', u' '), static_cast<int>(s));
    m_backendFilter = new QComboBox(this);
    m_backendFilter->addItem(tr("All backends"), -1);
    for (auto b : model::allBackends())
        m_backendFilter->addItem(model::toString(b), static_cast<int>(b));
    connect(m_filter, &QLineEdit::textChanged, this, [this] { applyFilter(); });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this, [this] { applyFilter(); });
    connect(m_backendFilter, &QComboBox::currentIndexChanged, this, [this] { applyFilter(); });

    m_details = new JobDetailsPane(m_s.jobs, m_s.logs, m_s.bus, m_s.artifacts, this);
    connect(m_details, &JobDetailsPane::openJobRequested, this, &MainWindow::selectJob);
    m_details->watchDownloads(m_s.results);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(6, 6, 6, 0);
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_statusFilter);
    filterRow->addWidget(m_backendFilter);
    topLayout->addLayout(filterRow);
    topLayout->addWidget(m_table);
    auto *bottom = new QWidget(this);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(6, 0, 6, 6);
    bottomLayout->addWidget(m_details);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(bottom);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    setCentralWidget(split);

    m_tray = new TrayIcon(this);
    connect(m_tray, &TrayIcon::showWindowRequested, this, [this] {
        showNormal();
        raise();
        activateWindow();
    });
    connect(m_tray, &TrayIcon::openJobRequested, this, [this](const QString &id) {
        showNormal();
        raise();
        selectJob(id);
    });
    connect(m_tray, &TrayIcon::quitRequested, qApp, &QApplication::quit);
    connect(m_s.scheduler, &scheduler::Scheduler::jobFinished, m_tray, &TrayIcon::notifyFinished);

    buildActions();
    buildStatusBar();
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { onSelectionChanged(); });
    connect(m_jobModel, &QAbstractItemModel::dataChanged, this, [this] { updateActions(); });
    // Every progress change is a jobChanged: count once per burst, not per signal.
    auto *countLater = new QTimer(this);
    countLater->setSingleShot(true);
    countLater->setInterval(200);
    connect(countLater, &QTimer::timeout, this, [this] { updateCounts(); });
    connect(m_s.bus->feed(), &feed::ChangeFeed::jobChanged, countLater, qOverload<>(&QTimer::start));
    connect(m_s.bus->feed(), &feed::ChangeFeed::jobAdded, countLater, qOverload<>(&QTimer::start));
    // With nothing selected, follow the newest job so the log pane is never idle.
    connect(m_jobModel, &QAbstractItemModel::rowsInserted, this, [this] {
        if (selectedJobId().isEmpty())
            if (const auto job = m_jobModel->jobAt(0))
                selectJob(job->id);
    });
    // Durations of running jobs tick.
    auto *tick = new QTimer(this);
    connect(tick, &QTimer::timeout, m_table->viewport(), [this] { m_table->viewport()->update(); });
    tick->start(1000);
    if (const auto newest = m_jobModel->jobAt(0))
        selectJob(newest->id);
    updateCounts();
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    auto *bar = addToolBar(tr("Jobs"));
    bar->setObjectName(QStringLiteral("jobs-toolbar"));
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_newAction = bar->addAction(themed("document-new"), tr("New job"), this, &MainWindow::newJob);
    m_newAction->setShortcut(QKeySequence::New);
    m_cancelAction = bar->addAction(themed("process-stop"), tr("Cancel"), this, &MainWindow::cancelJob);
    m_cancelAction->setShortcut(QKeySequence::Delete);
    m_retryAction = bar->addAction(themed("view-refresh"), tr("Retry"), this, &MainWindow::retryJob);
    m_retryAction->setShortcut(Qt::CTRL | Qt::Key_R);
    m_cloneAction = bar->addAction(themed("edit-copy"), tr("Clone"), this, &MainWindow::cloneJob);
    m_cloneAction->setShortcut(Qt::CTRL | Qt::SHIFT | Qt::Key_N);
    bar->addSeparator();
    auto *settingsAction =
        bar->addAction(themed("preferences-system"), tr("Settings"), this, &MainWindow::openSettings);
    settingsAction->setShortcut(QKeySequence::Preferences);
    settingsAction->setEnabled(m_s.settings != nullptr);

    auto *find = new QAction(this);
    find->setShortcut(QKeySequence::Find);
    connect(find, &QAction::triggered, this, [this] {
        // In the log console Ctrl+F searches the log; elsewhere it filters the jobs.
        if (m_details->console()->isAncestorOf(focusWidget()))
            m_details->console()->focusSearch();
        else {
            m_filter->setFocus();
            m_filter->selectAll();
        }
    });
    addAction(find);
    connect(m_table, &QTableView::activated, this, [this] {
        m_details->setCurrentIndex(0);
        m_details->console()->view()->setFocus();
    });
}

void MainWindow::buildStatusBar()
{
    m_listenLabel = new QLabel(this);
    m_listenLabel->setTextFormat(Qt::RichText);
    m_listenLabel->setToolTip(tr("Click to copy"));
    connect(m_listenLabel, &QLabel::linkActivated, this, [this](const QString &link) {
        QApplication::clipboard()->setText(link);
        statusBar()->showMessage(tr("Copied %1").arg(link), 3000);
    });
    m_countsLabel = new QLabel(this);
    m_healthLabel = new QLabel(this);
    auto separator = [this] {
        auto *line = new QFrame(this);
        line->setFrameShape(QFrame::VLine);
        line->setFrameShadow(QFrame::Sunken);
        return line;
    };
    statusBar()->addPermanentWidget(m_listenLabel, 1);
    statusBar()->addPermanentWidget(m_healthLabel);
    statusBar()->addPermanentWidget(separator());
    statusBar()->addPermanentWidget(m_countsLabel);
    auto *health = new QTimer(this);
    connect(health, &QTimer::timeout, this, [this] { pollRunPodHealth(); });
    health->start(30000);
    QTimer::singleShot(0, this, [this] { pollRunPodHealth(); });
}

void MainWindow::setServerInfo(const QString &baseUrl, const QString &error, const QStringList &profiles)
{
    m_profiles = profiles;
    m_baseUrl = baseUrl;
    if (!error.isEmpty()) {
        m_listenLabel->setText(
            tr("<span style='color:#c0302f'>⚠ HTTP service not running: %1</span>").arg(error.toHtmlEscaped()));
        return;
    }
    const QString cb = baseUrl + QStringLiteral("/api/crawler/log");
    m_listenLabel->setText(tr("Listening on <a href='%1'>%1</a> · callbacks <a href='%2'>%2</a>").arg(baseUrl, cb));
}

void MainWindow::pollRunPodHealth()
{
    runners::RunPodClient *client = m_s.runpodClient ? m_s.runpodClient() : nullptr;
    if (!client) {
        m_healthLabel->clear();
        return;
    }
    QCoro::connect(client->health(), this, [this](const runners::RunPodReply &r) {
        if (r.error) {
            m_healthLabel->setText(tr("RunPod: ⚠ %1").arg(r.error->describe().left(60)));
            m_healthLabel->setToolTip(r.error->describe());
            return;
        }
        const QJsonObject w = r.body.value(QStringLiteral("workers")).toObject();
        const QJsonObject j = r.body.value(QStringLiteral("jobs")).toObject();
        m_healthLabel->setText(tr("RunPod: %1 running · %2 idle · %3 queued")
                                   .arg(w.value(QStringLiteral("running")).toInt())
                                   .arg(w.value(QStringLiteral("idle")).toInt())
                                   .arg(j.value(QStringLiteral("inQueue")).toInt()));
        m_healthLabel->setToolTip(QString());
    });
}

QString MainWindow::selectedJobId() const
{
    const auto rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(JobTableModel::JobIdRole).toString();
}

void MainWindow::selectJob(const QString &jobId)
{
    int row = m_jobModel->rowOf(jobId);
    while (row < 0 && m_jobModel->canFetchMore({})) {
        m_jobModel->fetchMore({});
        row = m_jobModel->rowOf(jobId);
    }
    if (row < 0)
        return;
    const QModelIndex idx = m_proxy->mapFromSource(m_jobModel->index(row, 0));
    if (idx.isValid()) {
        m_table->selectRow(idx.row());
        m_table->scrollTo(idx);
    }
}

void MainWindow::setFilterText(const QString &text)
{
    m_filter->setText(text);
}

void MainWindow::onSelectionChanged()
{
    m_details->setJob(selectedJobId());
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
    const int running = c.value(JobStatus::Running) + c.value(JobStatus::Starting) + c.value(JobStatus::Cancelling);
    m_countsLabel->setText(tr("queued %1 · running %2 · completed %3 · failed %4 · cancelled %5")
                               .arg(c.value(JobStatus::Queued))
                               .arg(running)
                               .arg(c.value(JobStatus::Completed))
                               .arg(c.value(JobStatus::Failed) + c.value(JobStatus::TimedOut))
                               .arg(c.value(JobStatus::Cancelled)));
    m_tray->setRunning(running, c.value(JobStatus::Queued));
}

void MainWindow::applyFilter()
{
    store::JobFilter f;
    f.text = m_filter->text().trimmed();
    if (const int s = m_statusFilter->currentData().toInt(); s >= 0)
        f.statuses = {static_cast<JobStatus>(s)};
    if (const int b = m_backendFilter->currentData().toInt(); b >= 0)
        f.backend = static_cast<model::Backend>(b);
    m_proxy->setFilter(f);
}

void MainWindow::showError(const QString &what, const QString &detail)
{
    QMessageBox::warning(this, what, detail);
}

void MainWindow::openJobDialog(const QString &prefillFrom)
{
    QList<NewJobDialog::BackendChoice> backends;
    for (auto b : model::allBackends())
        backends.append({b, m_s.scheduler->hasBackend(b), scheduler::Scheduler::notConfiguredMessage(b)});
    NewJobDialog dlg(
        backends, m_profiles, [this](const model::JobSpec &spec) { return m_s.scheduler->validate(spec); }, this);
    if (const auto job = m_s.jobs->job(prefillFrom))
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

void MainWindow::newJob()
{
    openJobDialog({});
}

void MainWindow::cloneJob()
{
    openJobDialog(selectedJobId());
}

void MainWindow::cancelJob()
{
    const QString id = selectedJobId();
    const auto job = m_s.jobs->job(id);
    if (!job || model::isTerminal(job->status))
        return;
    if (!m_confirm(tr("Cancel job %1 (%2)?").arg(id.left(8), model::toString(job->status))))
        return;
    if (const auto r = m_s.scheduler->cancel(id); !r)
        showError(tr("Cannot cancel"), r.error().detail);
}

void MainWindow::retryJob()
{
    const auto r = m_s.scheduler->retry(selectedJobId());
    if (!r)
        return showError(tr("Cannot retry"), r.error().detail);
    selectJob(r->id);
}

void MainWindow::openSettings()
{
    if (!m_s.settings)
        return;
    SettingsDialog dlg(m_s.settings, this);
    if (dlg.exec() != QDialog::Accepted)
        return;
    if (m_s.applySettings)
        statusBar()->showMessage(m_s.applySettings(), 8000);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_s.settings && m_s.settings->closeToTray() && m_tray->available()) {
        hide();
        event->ignore();
        return;
    }
    QMainWindow::closeEvent(event);
}

} // namespace cd::ui

#include "mainwindow.h"

#include "emptystate.h"
#include "jobactions.h"
#include "jobdetailspane.h"
#include "jobfilterproxy.h"
#include "jobtablemodel.h"
#include "logconsole.h"
#include "newjobdialog.h"
#include "nodespanel.h"
#include "progressdelegate.h"
#include "session/session.h"
#include "settings/settings.h"
#include "settingsdialog.h"
#include "trayicon.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
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

MainWindow::MainWindow(session::Session *session, const Preferences &preferences, QWidget *parent)
    : QMainWindow(parent), m_session(session), m_prefs(preferences)
{
    initCrawldeckResources();
    setWindowTitle(tr("Crawldeck"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/crawldeck.svg")));
    resize(1280, 820);
    m_confirm = [this](const QString &question) {
        return QMessageBox::question(this, tr("Crawldeck"), question) == QMessageBox::Yes;
    };

    m_jobModel = new JobTableModel(m_session, this);
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
    buildHeader();

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

    m_details = new JobDetailsPane(m_session, this);
    connect(m_details, &JobDetailsPane::openJobRequested, this, &MainWindow::selectJob);

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
    m_detailsArea = bottom;
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(6, 0, 6, 6);
    bottomLayout->addWidget(m_details);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(bottom);
    // The table gets the larger share: rows are what an operator scans; details collapse (View).
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({460, 300});
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
    connect(m_session, &session::Session::jobFinished, m_tray, &TrayIcon::notifyFinished);

    buildActions();
    buildMenus();
    buildStatusBar();
    buildNodesPanel();
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { onSelectionChanged(); });
    connect(m_jobModel, &QAbstractItemModel::dataChanged, this, [this] { updateActions(); });
    // Every progress change is a jobChanged: count once per burst, not per signal.
    auto *countLater = new QTimer(this);
    countLater->setSingleShot(true);
    countLater->setInterval(200);
    connect(countLater, &QTimer::timeout, this, [this] { updateCounts(); });
    connect(m_session, &session::Session::jobChanged, countLater, qOverload<>(&QTimer::start));
    connect(m_session, &session::Session::jobAdded, countLater, qOverload<>(&QTimer::start));
    connect(m_session, &session::Session::jobRemoved, countLater, qOverload<>(&QTimer::start));
    connect(m_session, &session::Session::connectionStateChanged, this, [this] {
        showConnection();
        // Back from a gap in the feed: read again what it may have missed.
        if (m_session->connectionState() == session::ConnectionState::Connected)
            refresh();
    });
    auto afterRows = [this] {
        if (!m_pendingSelection.isEmpty())
            return selectJob(m_pendingSelection);
        // With nothing selected, follow the newest job so the log pane is never idle.
        if (selectedJobId().isEmpty())
            if (const auto job = m_jobModel->jobAt(0))
                selectJob(job->id);
    };
    connect(m_jobModel, &QAbstractItemModel::rowsInserted, this, afterRows);
    connect(m_jobModel, &JobTableModel::loaded, this, afterRows);
    // Durations of running jobs tick.
    auto *tick = new QTimer(this);
    connect(tick, &QTimer::timeout, m_table->viewport(), [this] { m_table->viewport()->update(); });
    tick->start(1000);
    if (const auto newest = m_jobModel->jobAt(0))
        selectJob(newest->id);
    showConnection();
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
    settingsAction->setEnabled(m_prefs.settings && m_session->can(session::Capability::ServiceSettings));

    m_findAction = new QAction(tr("Find"), this);
    m_findAction->setShortcut(QKeySequence::Find);
    connect(m_findAction, &QAction::triggered, this, [this] {
        // In the log console Ctrl+F searches the log; elsewhere it filters the jobs.
        if (m_details->console()->isAncestorOf(focusWidget()))
            m_details->console()->focusSearch();
        else {
            m_filter->setFocus();
            m_filter->selectAll();
        }
    });
    connect(m_table, &QTableView::activated, this, [this] {
        m_details->setCurrentIndex(0);
        m_details->console()->view()->setFocus();
    });
}

void MainWindow::buildNodesPanel()
{
    // Hidden until asked for: most windows work on a single node.
    auto *dock = new QDockWidget(tr("Nodes"), this);
    dock->setObjectName(QStringLiteral("nodes-dock"));
    m_nodesPanel = new NodesPanel(m_session, dock);
    dock->setWidget(m_nodesPanel);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    dock->hide();
    QAction *toggle = dock->toggleViewAction();
    toggle->setShortcut(Qt::CTRL | Qt::SHIFT | Qt::Key_O);
    m_viewMenu->addAction(toggle);
    // The Node column only when the jobs ran on more than one node.
    auto showNodeColumn = [this] { m_table->setColumnHidden(JobTableModel::Node, !m_jobModel->showsNodes()); };
    connect(m_jobModel, &JobTableModel::showsNodesChanged, m_table, showNodeColumn);
    showNodeColumn();
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
    m_connectionLabel = new QLabel(this);
    auto separator = [this] {
        auto *line = new QFrame(this);
        line->setFrameShape(QFrame::VLine);
        line->setFrameShadow(QFrame::Sunken);
        return line;
    };
    statusBar()->addPermanentWidget(m_listenLabel, 1);
    statusBar()->addPermanentWidget(m_connectionLabel);
    statusBar()->addPermanentWidget(m_healthLabel);
    statusBar()->addPermanentWidget(separator());
    statusBar()->addPermanentWidget(m_countsLabel);
    auto *health = new QTimer(this);
    connect(health, &QTimer::timeout, this, [this] { pollRunPodHealth(); });
    health->start(30000);
    QTimer::singleShot(0, this, [this] { pollRunPodHealth(); });
}

void MainWindow::setServerInfo(const QString &baseUrl, const QString &error)
{
    m_baseUrl = baseUrl;
    m_serverDescription = error.isEmpty() ? tr("serving on %1 (this process)").arg(baseUrl)
                                          : tr("HTTP service not running: %1").arg(error);
    if (!error.isEmpty()) {
        m_listenLabel->setText(
            tr("<span style='color:#c0302f'>⚠ HTTP service not running: %1</span>").arg(error.toHtmlEscaped()));
        return;
    }
    const QString cb = baseUrl + QStringLiteral("/api/crawler/log");
    m_listenLabel->setText(tr("Listening on <a href='%1'>%1</a> · callbacks <a href='%2'>%2</a>").arg(baseUrl, cb));
}

void MainWindow::setAttachedTo(const QString &server)
{
    m_baseUrl = server;
    m_serverDescription = tr("attached to %1").arg(server);
    setWindowTitle(tr("Crawldeck — %1").arg(server));
    m_listenLabel->setText(tr("Attached to <a href='%1'>%1</a>").arg(server.toHtmlEscaped()));
}

void MainWindow::showConnection()
{
    switch (m_session->connectionState()) {
    case session::ConnectionState::Connected: m_connectionLabel->clear(); break;
    case session::ConnectionState::Reconnecting:
        m_connectionLabel->setText(tr("<span style='color:#9a6700'>⟳ reconnecting…</span>"));
        break;
    case session::ConnectionState::Offline:
        m_connectionLabel->setText(tr("<span style='color:#c0302f'>⚠ offline</span>"));
        break;
    case session::ConnectionState::Unauthorized:
        m_connectionLabel->setText(tr("<span style='color:#c0302f'>🔒 token refused</span>"));
        break;
    }
    m_connectionLabel->setVisible(!m_connectionLabel->text().isEmpty());
}

void MainWindow::pollRunPodHealth()
{
    m_session->runpodHealth(this, [this](Result<session::RunPodHealth> r) {
        if (!r || !r->configured) {
            m_healthLabel->clear();
            return;
        }
        if (!r->error.isEmpty()) {
            m_healthLabel->setText(tr("RunPod: ⚠ %1").arg(r->error.left(60)));
            m_healthLabel->setToolTip(r->error);
            return;
        }
        m_healthLabel->setText(
            tr("RunPod: %1 running · %2 idle · %3 queued").arg(r->running).arg(r->idle).arg(r->queued));
        m_healthLabel->setToolTip(QString());
    });
}

QString MainWindow::selectedJobId() const
{
    const auto rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(JobTableModel::JobIdRole).toString();
}

std::optional<model::Job> MainWindow::selectedJob() const
{
    const auto rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return std::nullopt;
    return m_jobModel->jobAt(m_proxy->mapToSource(rows.first()).row());
}

void MainWindow::selectJob(const QString &jobId)
{
    const int row = m_jobModel->rowOf(jobId);
    if (row < 0) {
        // Its row has not arrived yet (the feed or an older page brings it): select it then.
        m_pendingSelection = jobId;
        if (m_jobModel->canFetchMore({}))
            m_jobModel->fetchMore({});
        return;
    }
    m_pendingSelection.clear();
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

void MainWindow::refresh()
{
    m_jobModel->reload();
    m_details->setJob(m_details->jobId());
    updateCounts();
}

void MainWindow::updateActions()
{
    const auto job = selectedJob();
    const bool has = job.has_value();
    m_cancelAction->setEnabled(has && !model::isTerminal(job->status) && job->status != JobStatus::Cancelling);
    m_retryAction->setEnabled(has && model::isTerminal(job->status) && job->status != JobStatus::Completed);
    m_cloneAction->setEnabled(has);
    m_jobActions->setJob(job);
}

void MainWindow::updateCounts()
{
    m_session->status(this, [this](Result<session::ServiceStatus> st) {
        if (!st)
            return;
        const auto &c = st->counts;
        const int running = c.value(JobStatus::Running) + c.value(JobStatus::Starting) + c.value(JobStatus::Cancelling);
        m_countsLabel->setText(tr("queued %1 · running %2 · completed %3 · failed %4 · cancelled %5")
                                   .arg(c.value(JobStatus::Queued))
                                   .arg(running)
                                   .arg(c.value(JobStatus::Completed))
                                   .arg(c.value(JobStatus::Failed) + c.value(JobStatus::TimedOut))
                                   .arg(c.value(JobStatus::Cancelled)));
        m_tray->setRunning(running, c.value(JobStatus::Queued));
    });
}

void MainWindow::applyFilter()
{
    model::JobFilter f;
    f.text = m_filter->text().trimmed();
    if (const int s = m_statusFilter->currentData().toInt(); s >= 0)
        f.statuses = {static_cast<JobStatus>(s)};
    if (const int b = m_backendFilter->currentData().toInt(); b >= 0)
        f.backend = static_cast<model::Backend>(b);
    m_proxy->setFilter(f);
    m_emptyState->refresh();
}

void MainWindow::showError(const QString &what, const QString &detail)
{
    QMessageBox::warning(this, what, detail);
}

void MainWindow::openJobDialog(const std::optional<model::Job> &prefill)
{
    // The backends and profiles the service has now, then the dialog.
    m_session->status(this, [this, prefill](Result<session::ServiceStatus> st) {
        if (!st)
            return showError(tr("Cannot start job"), st.error().detail);
        QList<NewJobDialog::BackendChoice> backends;
        for (const auto &b : st->backends)
            backends.append({b.backend, b.available, b.reason});
        NewJobDialog dlg(backends, st->profiles, m_session, this);
        if (prefill)
            dlg.prefill(*prefill);
        if (dlg.exec() != QDialog::Accepted)
            return;
        const auto spec = dlg.spec();
        if (const auto *err = std::get_if<QString>(&spec))
            return showError(tr("Cannot start job"), *err);
        m_session->create(std::get<model::JobSpec>(spec), this, [this](Result<model::Job> job) {
            if (!job)
                return showError(tr("Cannot start job"), job.error().detail);
            selectJob(job->id);
        });
    });
}

void MainWindow::newJob()
{
    openJobDialog(std::nullopt);
}

void MainWindow::cloneJob()
{
    if (const auto job = selectedJob())
        openJobDialog(job);
}

void MainWindow::cancelJob()
{
    const auto job = selectedJob();
    if (!job || model::isTerminal(job->status))
        return;
    if (!m_confirm(tr("Cancel job %1 (%2)?").arg(job->id.left(8), model::toString(job->status))))
        return;
    m_session->cancel(job->id, this, [this](Result<model::Job> r) {
        if (!r)
            showError(tr("Cannot cancel"), r.error().detail);
    });
}

void MainWindow::retryJob()
{
    const QString id = selectedJobId();
    if (id.isEmpty())
        return;
    m_session->retry(id, this, [this](Result<model::Job> r) {
        if (!r)
            return showError(tr("Cannot retry"), r.error().detail);
        selectJob(r->id);
    });
}

void MainWindow::openSettings()
{
    if (!m_prefs.settings || !m_session->can(session::Capability::ServiceSettings))
        return;
    SettingsDialog dlg(m_prefs.settings, this);
    if (dlg.exec() != QDialog::Accepted)
        return;
    if (m_prefs.applySettings)
        statusBar()->showMessage(m_prefs.applySettings(), 8000);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_prefs.settings && m_prefs.settings->closeToTray() && m_tray->available()) {
        hide();
        event->ignore();
        return;
    }
    QMainWindow::closeEvent(event);
}

} // namespace cd::ui

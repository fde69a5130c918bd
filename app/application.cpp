#include "application.h"

#include "artifacts/artifactcopier.h"
#include "artifacts/artifactstore.h"
#include "artifacts/resultcollector.h"
#include "cli/connection.h"
#include "cluster/clusternode.h"
#include "common/privatefiles.h"
#include "connectionhost.h"
#include "feed/changefeed.h"
#include "http/apiserver.h"
#include "http/auth.h"
#include "http/crawlercontroller.h"
#include "http/eventshub.h"
#include "http/healthcontroller.h"
#include "http/jobscontroller.h"
#include "http/logscontroller.h"
#include "http/nodescontroller.h"
#include "http/profilescontroller.h"
#include "http/runpodcontroller.h"
#include "http/services.h"
#include "http/ssehub.h"
#include "jobs/jobspec.h"
#include "logs/logbus.h"
#include "mainwindow.h"
#include "retention/retentionsweeper.h"
#include "runners/localrunner.h"
#include "runners/runpodclient.h"
#include "runners/runpodpodrunner.h"
#include "runners/runpodrunner.h"
#include "scheduler/scheduler.h"
#include "session/localsession.h"
#include "session/remotesession.h"
#include "settings/connections.h"
#include "settings/settings.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/logstore.h"
#include "store/nodestore.h"
#include "store/retention.h"
#include "store/sqldialect.h"

#include <QApplication>
#include <QCoreApplication>
#include <QHostAddress>
#include <QInputDialog>
#include <QLineEdit>
#include <QLockFile>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QSocketNotifier>
#include <QSysInfo>
#include <QUrlQuery>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

namespace cd::app {

namespace {
int g_signalFds[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    // Only async-signal-safe work here: wake the event loop through the socket pair.
    [[maybe_unused]] const auto n = ::write(g_signalFds[0], &c, 1);
}

void err(const QString &line)
{
    std::fprintf(stderr, "crawldeck: %s\n", line.toLocal8Bit().constData());
    std::fflush(stderr);
}
} // namespace

Application::Application(const CommandLine &cl, QObject *parent) : QObject(parent), m_cl(cl) {}

Application::~Application()
{
    shutdown();
}

QString Application::baseUrl() const
{
    const QString pub = m_settings->publicUrl();
    if (!pub.isEmpty())
        return pub.endsWith(u'/') ? pub.chopped(1) : pub;
    QString host = m_api && m_api->isListening() ? m_api->address().toString() : m_settings->listen().host;
    if (host == u"0.0.0.0" || host == u"::")
        host = QStringLiteral("127.0.0.1");
    if (host.contains(u':'))
        host = u'[' + host + u']';
    const quint16 port = m_api && m_api->port() ? m_api->port() : m_settings->listen().port;
    const QString scheme = m_settings->tlsCert().isEmpty() ? QStringLiteral("http") : QStringLiteral("https");
    return scheme + QStringLiteral("://") + host + u':' + QString::number(port);
}

QString Application::callbackUrl(const QString &jobId) const
{
    return baseUrl() + QStringLiteral("/api/crawler/log?token=") + m_auth->jobToken(jobId);
}

quint16 Application::port() const
{
    return m_api && m_api->isListening() ? m_api->port() : 0;
}

QString Application::webhookUrl(const QString &jobId) const
{
    // RunPod can only call back to an address it can reach: no public URL, no webhook (polling
    // alone settles the job).
    if (m_settings->publicUrl().isEmpty())
        return {};
    return baseUrl() + QStringLiteral("/api/runpod/webhook/") + jobId + QStringLiteral("?token=") +
           m_auth->jobToken(jobId);
}

void Application::setUpRunPod()
{
    if (!m_nam) {
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_results =
            std::make_unique<artifacts::ResultCollector>(m_artifacts.get(), m_jobs.get(), m_bus.get(), m_nam.get());
    }
    const QString endpoint = m_settings->runpodEndpoint();
    m_settings->setUseKeychain(!m_cl.headless);
    const auto secret = m_settings->runpodApiKey();
    const QString key = secret.secret;
    if (!key.isEmpty() && secret.origin.startsWith(u'/'))
        err(QStringLiteral("RunPod API key read from %1 (a plain file, mode 0600); RUNPOD_API_KEY in the service's "
                           "environment or a desktop keychain is safer")
                .arg(secret.origin));
    if (!endpoint.isEmpty() && key.isEmpty())
        err(QStringLiteral("RunPod endpoint is set but RUNPOD_API_KEY is not: the runpod backend stays off"));
    if (!endpoint.isEmpty() && !key.isEmpty()) {
        runners::RunPodClientConfig cc;
        cc.base = QUrl(endpoint.endsWith(u'/') ? endpoint.chopped(1) : endpoint);
        cc.apiKey = key;
        m_runpodClient = std::make_unique<runners::RunPodClient>(cc, m_nam.get());
        runners::RunPodRunnerConfig rc;
        rc.client = cc;
        rc.callbackUrl = [this](const QString &id) { return callbackUrl(id); };
        rc.webhookUrl = [this](const QString &id) { return webhookUrl(id); };
        m_runpod = std::make_unique<runners::RunPodRunner>(rc, m_runpodClient.get(), m_jobs.get(), m_bus.get(),
                                                           m_results.get());
        m_scheduler->addRunner(m_runpod.get(), m_settings->runpodSlots());
    }
    const QString pod = m_settings->runpodPodUrl();
    if (!pod.isEmpty()) {
        runners::RunPodPodConfig pc;
        pc.podUrl = QUrl(pod);
        pc.apiKey = key;
        pc.callbackUrl = [this](const QString &id) { return callbackUrl(id); };
        m_runpodPod = std::make_unique<runners::RunPodPodRunner>(pc, m_nam.get(), m_bus.get(), m_results.get());
        m_scheduler->addRunner(m_runpodPod.get(), m_settings->runpodSlots());
    }
}

Status Application::start()
{
    const QString dataDir =
        settings::Settings::resolveDataDir(m_cl.overrides, QProcessEnvironment::systemEnvironment());
    m_settings = std::make_unique<settings::Settings>(dataDir, m_cl.overrides);
    // Two instances on one data directory would run their jobs in the same job directories.
    m_lock = std::make_unique<QLockFile>(dataDir + QStringLiteral("/crawldeck.lock"));
    m_lock->setStaleLockTime(0);
    if (!m_lock->tryLock(500)) {
        qint64 pid = 0;
        QString host, app;
        m_lock->getLockInfo(&pid, &host, &app);
        return Error::make(Error::Code::Unavailable,
                           QStringLiteral("another Crawldeck (pid %1) is already using %2").arg(pid).arg(dataDir));
    }

    // Data left readable by an older build: the database does its own files when it opens them.
    const QStringList tightened =
        tightenPrivate({dataDir, m_settings->settingsFile(), dataDir + QStringLiteral("/jobs")});
    if (!tightened.isEmpty())
        err(QStringLiteral("made data files private: %1").arg(tightened.join(QStringLiteral(", "))));

    // HOST:PORT is stable across restarts, which is what lets a node settle its own jobs when it
    // starts again. With port 0 (any free port) on a shared database, two nodes on one host would
    // both be "HOST:0": the process id tells them apart there (a SQLite file has one process).
    const int port = m_settings->listen().port;
    QString nodeId = m_settings->nodeId();
    if (nodeId.isEmpty())
        nodeId = QSysInfo::machineHostName() + u':' + QString::number(port);
    if (m_settings->nodeId().isEmpty() && port == 0 && store::Database::isPostgres(m_settings->databaseLocation()))
        nodeId += QStringLiteral("-pid") + QString::number(QCoreApplication::applicationPid());
    m_db = std::make_unique<store::Database>();
    if (auto st = m_db->open(m_settings->databaseLocation(), QStringLiteral("crawldeck:") + nodeId); !st)
        return st;
    m_jobs = std::make_unique<store::JobStore>(m_db.get());
    m_logs = std::make_unique<store::LogStore>(m_db.get());
    m_feed = std::make_unique<feed::ChangeFeed>(m_jobs.get(), m_logs.get());
    if (auto st = m_feed->connectTo(m_settings->databaseLocation(), nodeId); !st)
        return st;
    m_bus = std::make_unique<logs::LogBus>(m_jobs.get(), m_logs.get(), m_feed.get());
    m_artifacts = std::make_unique<artifacts::ArtifactStore>(dataDir, m_jobs.get());
    m_artifacts->setNode(nodeId);
    const auto artifactStorage = m_settings->artifactStorage();
    if (!artifactStorage)
        return artifactStorage.error();
    const auto artifactCap = m_settings->artifactMaxBytes();
    if (!artifactCap)
        return artifactCap.error();
    // Nodes sharing PostgreSQL serve each other's files from it; one node on SQLite needs no copy.
    if (artifactStorage.value() == settings::ArtifactStorage::Database ||
        (artifactStorage.value() == settings::ArtifactStorage::Auto && m_db->dialect().name() == u"postgresql")) {
        if (auto st = m_artifacts->copyToDatabase(m_settings->databaseLocation(),
                                                  QStringLiteral("crawldeck:") + nodeId + QStringLiteral(":artifacts"),
                                                  artifactCap.value());
            !st)
            return st;
    }
    m_nodes = std::make_unique<store::NodeStore>(m_db.get());
    m_retentionStore = std::make_unique<store::Retention>(m_db.get());
    m_retention =
        std::make_unique<retention::RetentionSweeper>(m_retentionStore.get(), m_jobs.get(), m_artifacts.get());
    m_retention->setDays(m_settings->retentionDays());
    // Nodes sharing a database would delete the same rows at once: the leader alone sweeps.
    m_retention->setMaySweep([this] { return m_cluster && m_cluster->isLeader(); });
    connect(m_retention.get(), &retention::RetentionSweeper::jobsPurged, m_feed.get(),
            &feed::ChangeFeed::publishRemoved);
    // Job tokens are signed with a key every node on this database shares: a worker's callback or
    // RunPod's webhook may reach any node behind the proxy.
    const auto jobTokenKey = m_nodes->sharedSecret(QStringLiteral("job_tokens"), m_settings->serverSecret());
    if (!jobTokenKey)
        return jobTokenKey.error();
    m_auth = std::make_unique<http::Auth>(m_settings->apiToken(), m_settings->callbackKey(), jobTokenKey.value(),
                                          m_settings->trustLoopback());
    m_auth->setTrustedProxies(m_settings->trustedProxies());
    applyAuthLimits();
    m_scheduler = std::make_unique<scheduler::Scheduler>(m_jobs.get(), m_bus.get(), m_artifacts.get());
    m_scheduler->setNode(nodeId);
    for (auto b : model::allBackends())
        m_scheduler->setGlobalSlots(b, m_settings->globalSlots(model::toString(b)));
    // Other nodes may queue work on a shared database; SQLite has this process alone.
    if (m_db->dialect().name() == u"postgresql")
        m_scheduler->setPollIntervalMs(500);

    runners::LocalRunnerConfig local;
    local.profiles = m_settings->localProfiles();
    local.selfExecutable = QCoreApplication::applicationFilePath();
    local.graceMs = m_settings->killGraceMs();
    local.callbackFor = [this](const QString &jobId) {
        return runners::CallbackInfo{baseUrl() + QStringLiteral("/api/crawler/log"), m_auth->jobToken(jobId)};
    };
    m_local = std::make_unique<runners::LocalRunner>(local, m_bus.get(), m_artifacts.get());
    m_scheduler->addRunner(m_local.get(), m_settings->localSlots());
    setUpRunPod();

    m_sse = std::make_unique<http::SseHub>(m_jobs.get(), m_logs.get(), m_feed.get());
    m_events = std::make_unique<http::EventsHub>(m_feed.get());
    m_events->watchResults(m_results.get());
    http::GuardLimits limits;
    limits.maxBodyBytes = m_settings->maxBodyBytes();
    m_api = std::make_unique<http::ApiServer>(m_auth.get(), limits);
    cluster::NodeConfig self;
    self.id = nodeId;
    self.version = QCoreApplication::applicationVersion();
    self.timeoutS = m_settings->nodeTimeoutS();
    self.exclusive = m_db->dialect().name() != u"postgresql";
    m_cluster = std::make_unique<cluster::ClusterNode>(self, m_nodes.get(), m_jobs.get(), m_scheduler.get());
    http::Services services;
    services.jobs = m_jobs.get();
    services.logs = m_logs.get();
    services.bus = m_bus.get();
    services.scheduler = m_scheduler.get();
    services.artifacts = m_artifacts.get();
    services.auth = m_auth.get();
    services.sse = m_sse.get();
    services.events = m_events.get();
    services.api = m_api.get();
    services.retention = m_retention.get();
    services.feed = m_feed.get();
    services.cluster = m_cluster.get();
    services.profiles = [this] { return profileNames(); };
    services.callbackUrl = [this](const QString &id) { return callbackUrl(id); };
    services.runpodWebhook = [this](const QString &id, const QJsonObject &doc) {
        if (!m_runpod)
            return false;
        m_runpod->onWebhook(id, doc);
        return true;
    };
    m_crawlerApi = std::make_unique<http::CrawlerController>(services);
    m_jobsApi = std::make_unique<http::JobsController>(services);
    m_healthApi = std::make_unique<http::HealthController>(services, QCoreApplication::applicationVersion());
    m_crawlerApi->registerRoutes(m_api->router());
    m_jobsApi->registerRoutes(m_api->router());
    m_logsApi = std::make_unique<http::LogsController>(services);
    m_logsApi->registerRoutes(m_api->router());
    m_profilesApi = std::make_unique<http::ProfilesController>(services);
    m_profilesApi->registerRoutes(m_api->router());
    m_healthApi->registerRoutes(m_api->router());
    m_runpodApi = std::make_unique<http::RunPodController>(services);
    m_runpodApi->setHealthSource([this] { return m_runpodClient.get(); });
    m_runpodApi->registerRoutes(m_api->router());

    m_nodesApi = std::make_unique<http::NodesController>(m_nodes.get(), m_settings->nodeTimeoutS());
    m_nodesApi->registerRoutes(m_api->router());

    installSignalHandlers();
    auto listening = listen(m_settings->listen());
    m_cluster->setAddress(m_api->isListening() ? baseUrl() : QString());
    // This node's own jobs from before a restart are settled only once no other live process holds
    // its id, and nothing is claimed before the node is alive in the nodes table.
    connect(m_cluster.get(), &cluster::ClusterNode::joined, this, [this] {
        m_scheduler->recover();
        m_scheduler->start();
        m_retention->start();
        if (m_artifacts->copier())
            m_artifacts->copier()->start();
    });
    connect(m_cluster.get(), &cluster::ClusterNode::identityConflict, this, [this](const QString &message) {
        err(message);
        shutdown();
        QCoreApplication::exit(1);
    });
    m_cluster->start();
    return listening;
}

Status Application::listen(const settings::HostPort &hp)
{
    QHostAddress addr;
    if (hp.host == u"localhost")
        addr = QHostAddress(QHostAddress::LocalHost);
    else if (!addr.setAddress(hp.host))
        return Error::make(Error::Code::InvalidArgument,
                           QStringLiteral("cannot listen on '%1': not an IP address").arg(hp.host));
    const auto port = m_api->listen(addr, hp.port, m_settings->tlsCert(), m_settings->tlsKey());
    if (!port)
        return port.error();
    return Ok{};
}

void Application::installSignalHandlers()
{
    if (g_signalFds[0] < 0 && ::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0)
        return;
    m_signalNotifier = new QSocketNotifier(g_signalFds[1], QSocketNotifier::Read, this);
    connect(m_signalNotifier, &QSocketNotifier::activated, this, [this] {
        char c = 0;
        [[maybe_unused]] const auto n = ::read(g_signalFds[1], &c, 1);
        err(QStringLiteral("signal received, shutting down"));
        shutdown();
        QCoreApplication::exit(0);
    });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
}

void Application::shutdown()
{
    if (m_shuttingDown || !m_scheduler)
        return;
    m_shuttingDown = true;
    // Order: stop taking requests, stop workers, then the last group commit.
    if (m_api)
        m_api->close();
    m_scheduler->stop();
    // Its stopped jobs are left active: another node rescues them without waiting for the timeout
    // (or this node settles them itself when it starts again first).
    if (m_cluster)
        m_cluster->leave();
    if (m_logs)
        m_logs->flush();
    m_host.reset();
}

void Application::applyAuthLimits()
{
    http::AuthLimits limits;
    limits.maxFailures = m_settings->authFailureLimit();
    limits.windowMs = m_settings->authFailureWindowS() * 1000;
    limits.coolingMs = m_settings->authCoolingS() * 1000;
    const http::AuthLimits now = m_auth->limiter().limits();
    // Setting limits forgets the failures counted so far: only when they changed.
    if (now.maxFailures != limits.maxFailures || now.windowMs != limits.windowMs || now.coolingMs != limits.coolingMs)
        m_auth->setLimits(limits);
}

int Application::runHeadless()
{
    if (auto st = start(); !st) {
        err(st.error().detail);
        return 1;
    }
    // On stdout, next to the ready line, not in the log (stderr): the token is shown, never logged.
    // Shown until a start got this far, so a first start that failed does not lose it.
    // Under systemd stdout goes to the journal, which others may read and which keeps it: point to
    // `crawldeck token` instead, and keep the token unshown so a start on a terminal still shows it.
    const bool toJournal = !qEnvironmentVariableIsEmpty("JOURNAL_STREAM");
    const bool showToken = m_settings->apiTokenNeedsShowing() && !toJournal;
    if (showToken)
        std::printf("crawldeck: API token (shown until one start has shown it; `crawldeck token` prints it again): "
                    "%s\n",
                    m_settings->apiToken().toUtf8().constData());
    else if (toJournal && m_settings->apiTokenNeedsShowing())
        std::printf("crawldeck: an API token was generated; run `crawldeck token --data-dir %s` as a user "
                    "who can read that directory (root for the packaged service) to see it\n",
                    m_settings->dataDir().toUtf8().constData());
    // The address actually bound, whatever a public URL says; workers' address on a line of its own.
    const QString scheme = m_settings->tlsCert().isEmpty() ? QStringLiteral("http") : QStringLiteral("https");
    const settings::HostPort bound{m_api->address().toString(), m_api->port()};
    std::printf("crawldeck: listening on %s://%s\n", scheme.toUtf8().constData(),
                bound.toString().toUtf8().constData());
    if (!m_settings->publicUrl().isEmpty())
        std::printf("crawldeck: workers call back at %s\n", baseUrl().toUtf8().constData());
    std::fflush(stdout);
    if (showToken)
        m_settings->setApiTokenShown();
    return QCoreApplication::exec();
}

QString Application::applySettings()
{
    QStringList done;
    m_auth->setApiToken(m_settings->apiToken());
    m_auth->setTrustLoopback(m_settings->trustLoopback());
    m_auth->setTrustedProxies(m_settings->trustedProxies());
    applyAuthLimits();
    m_scheduler->setSlots(model::Backend::Local, m_settings->localSlots());
    m_local->setProfiles(m_settings->localProfiles());
    if (m_runpod)
        m_scheduler->setSlots(model::Backend::RunPod, m_settings->runpodSlots());
    if (m_runpodPod)
        m_scheduler->setSlots(model::Backend::RunPodPod, m_settings->runpodSlots());
    done << tr("settings saved");
    // A new listen address takes effect now: the listener is rebuilt, the old one closed.
    const auto hp = m_settings->listen();
    if (!m_api->isListening() || hp.port != m_api->port() || QHostAddress(hp.host) != m_api->address()) {
        // Taken before the move: the listener is closed first, and the settings already name the new
        // address, so this is the only record of where the service was reachable.
        const bool wasListening = m_api->isListening();
        const settings::HostPort previous{m_api->address().toString(), m_api->port()};
        const auto st = listen(hp);
        if (st) {
            done << tr("now listening on %1").arg(baseUrl());
        } else if (wasListening) {
            const auto back = listen(previous);
            done << (back ? tr("listener not moved: %1; still listening on %2").arg(st.error().detail, baseUrl())
                          : tr("listener not moved: %1; and %2 could not be taken back: %3")
                                .arg(st.error().detail, previous.toString(), back.error().detail));
        } else {
            done << tr("listener not moved: %1").arg(st.error().detail);
        }
    }
    const bool runpodWanted = !m_settings->runpodEndpoint().isEmpty() || !m_settings->runpodPodUrl().isEmpty();
    const bool runpodBusy =
        (m_runpod && m_runpod->activeCount() > 0) || (m_runpodPod && m_runpodPod->activeCount() > 0);
    if (runpodWanted || m_runpod || m_runpodPod) {
        if (runpodBusy) {
            done << tr("RunPod changes apply when its running jobs have finished and Crawldeck restarts");
        } else {
            m_runpod.reset();
            m_runpodPod.reset();
            m_runpodClient.reset();
            setUpRunPod();
            done << tr("RunPod backends reconfigured");
        }
    }
    if (m_host && m_host->current().isLocal() && m_host->window())
        m_host->window()->setServerInfo(m_api->isListening() ? baseUrl() : QString(), QString());
    return done.join(QStringLiteral("; "));
}

void Application::showTokenIfNeeded()
{
    if (!m_settings->apiTokenNeedsShowing())
        return;
    // Not modal: the window stays usable; the token is also in Settings.
    auto *box = new QMessageBox(QMessageBox::Information, tr("Crawldeck API token"),
                                tr("Scripts and the HTTP API need this token (Authorization: Bearer ...):\n\n%1\n\n"
                                   "It is also shown in Settings, and `crawldeck token` prints it.")
                                    .arg(m_settings->apiToken()),
                                QMessageBox::Ok, m_host ? m_host->window() : nullptr);
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    m_settings->setApiTokenShown();
}

QStringList Application::profileNames() const
{
    return QStringList(m_local->profiles().keys()) << jobs::kExternalProfile;
}

Result<session::Session *> Application::startLocal()
{
    if (m_session)
        return m_session.get();
    const auto st = start();
    if (!m_scheduler)
        return st.error(); // nothing to show without a database
    m_startError = st ? QString() : st.error().detail;
    session::LocalServices s;
    s.jobs = m_jobs.get();
    s.logs = m_logs.get();
    s.bus = m_bus.get();
    s.scheduler = m_scheduler.get();
    s.artifacts = m_artifacts.get();
    s.results = m_results.get();
    s.runpodClient = [this] { return m_runpodClient.get(); };
    s.profiles = [this] { return profileNames(); };
    s.serviceSettings = true;
    s.nodes = m_nodes.get();
    s.nodeTimeoutS = m_settings->nodeTimeoutS();
    m_session = std::make_unique<session::LocalSession>(s);
    return m_session.get();
}

void Application::makeHost()
{
    m_connections = std::make_unique<settings::ConnectionList>(settings::ConnectionList::defaultDir(), true);
    ui::LocalService local;
    local.start = [this] { return startLocal(); };
    local.session = [this]() -> session::Session * { return m_session.get(); };
    local.decorate = [this](ui::MainWindow *w) {
        w->setServerInfo(m_startError.isEmpty() ? baseUrl() : QString(), m_startError);
    };
    local.preferences = [this] {
        ui::Preferences prefs;
        prefs.settings = m_settings.get();
        prefs.applySettings = [this] { return applySettings(); };
        return prefs;
    };
    m_host = std::make_unique<ui::ConnectionHost>(m_connections.get(), local);
}

int Application::runGui()
{
    if (!m_cl.connectUrl.isEmpty())
        return runRemote();
    makeHost();
    if (const auto st = m_host->open(settings::kLocalConnection); !st) {
        // Nothing to show without a database: say why instead of opening an empty window.
        QMessageBox::critical(nullptr, tr("Crawldeck"), tr("Crawldeck cannot start:\n%1").arg(st.error().detail));
        return 1;
    }
    showTokenIfNeeded();
    return QApplication::exec();
}

int Application::runRemote()
{
    makeHost();
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    auto conn = cli::Connection::resolve(m_cl.connectUrl, env);
    if (!conn) {
        QMessageBox::critical(nullptr, tr("Crawldeck"), tr("Cannot connect:\n%1").arg(conn.error()));
        return 2;
    }
    // A saved connection to this server brings its name, pin and keychain token.
    if (const auto saved = m_connections->findByUrl(conn->url)) {
        m_host->open(saved->id);
        return QApplication::exec();
    }
    const QString server = conn->url.toDisplayString(QUrl::RemoveUserInfo);
    if (conn->token.isEmpty()) {
        // Asked, never taken from the command line, where `ps` and the shell history would show it.
        bool ok = false;
        const QString token = QInputDialog::getText(nullptr, tr("Crawldeck"), tr("API token for %1:").arg(server),
                                                    QLineEdit::Password, QString(), &ok)
                                  .trimmed();
        if (!ok || token.isEmpty())
            return 1;
        conn.value().token = token.toUtf8();
        if (QMessageBox::question(nullptr, tr("Crawldeck"),
                                  tr("Save %1 in the connections, with its token in the keychain?").arg(server)) ==
            QMessageBox::Yes) {
            settings::SavedConnection c{{}, conn->url.host(), conn->url, {}};
            if (const auto where = m_connections->save(c, conn->token); where) {
                m_host->open(c.id);
                return QApplication::exec();
            } else {
                err(QStringLiteral("the connection could not be saved: %1").arg(where.error().detail));
            }
        }
    }
    m_host->openUnsaved(conn->url, conn->token);
    return QApplication::exec();
}

} // namespace cd::app

#include "stack.h"

#include <QProcess>

#include <stdexcept>

namespace cdtest {

bool makeTestCertificate(const QString &dir, QString *cert, QString *key)
{
    *cert = dir + QStringLiteral("/cert.pem");
    *key = dir + QStringLiteral("/key.pem");
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"), *key,
                   QStringLiteral("-out"), *cert, QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=127.0.0.1")});
    return openssl.waitForFinished(30000) && openssl.exitStatus() == QProcess::NormalExit && openssl.exitCode() == 0;
}

Stack::Stack(StackOptions o)
{
    if (o.dataDir.isEmpty()) {
        m_tmp = std::make_unique<QTemporaryDir>();
        m_dataDir = m_tmp->path();
    } else {
        m_dataDir = o.dataDir;
    }
    db = std::make_unique<cd::store::Database>();
    if (auto st = db->open(o.database.isEmpty() ? dbPath() : o.database); !st)
        throw std::runtime_error(st.error().detail.toStdString());
    jobs = std::make_unique<cd::store::JobStore>(db.get());
    logs = std::make_unique<cd::store::LogStore>(db.get());
    feed = std::make_unique<cd::feed::ChangeFeed>(jobs.get(), logs.get());
    if (auto st = feed->connectTo(o.database, QStringLiteral("test-node")); !st)
        throw std::runtime_error(st.error().detail.toStdString());
    bus = std::make_unique<cd::logs::LogBus>(jobs.get(), logs.get(), feed.get());
    artifacts = std::make_unique<cd::artifacts::ArtifactStore>(m_dataDir, jobs.get());
    auth = std::make_unique<cd::http::Auth>(QString::fromLatin1(kToken), QString::fromLatin1(kCallbackKey),
                                            QByteArrayLiteral("test-secret"), o.loopbackTrusted, o.authLimits);
    scheduler = std::make_unique<cd::scheduler::Scheduler>(jobs.get(), bus.get(), artifacts.get());
    scheduler->setRetryDelayMs(100);
    scheduler->setNode(QStringLiteral("test-node"));

    cd::runners::LocalRunnerConfig lc;
    lc.profiles = o.profiles;
    if (lc.profiles.isEmpty())
        lc.profiles.insert(QStringLiteral("crawler"), QStringLiteral("sh -c 'echo \"[INFO] Progress: 100%\"'"));
    lc.graceMs = o.graceMs;
    lc.callbackFor = [this](const QString &id) {
        return cd::runners::CallbackInfo{baseUrl() + QStringLiteral("/api/crawler/log"), auth->jobToken(id)};
    };
    local = std::make_unique<cd::runners::LocalRunner>(lc, bus.get(), artifacts.get());
    scheduler->addRunner(local.get(), o.localSlots);

    nam = std::make_unique<QNetworkAccessManager>();
    results = std::make_unique<cd::artifacts::ResultCollector>(artifacts.get(), jobs.get(), bus.get(), nam.get());
    if (!o.runpodEndpoint.isEmpty()) {
        cd::runners::RunPodRunnerConfig rc;
        rc.client.base = o.runpodEndpoint;
        rc.client.apiKey = o.runpodKey;
        rc.client.timeoutMs = 5000;
        rc.client.backoffBaseMs = 100;
        rc.client.backoffCapMs = 1000;
        rc.pollMinMs = o.pollMinMs;
        rc.pollMaxMs = o.pollMaxMs;
        rc.slowAfterMs = 2000;
        rc.callbackUrl = [this](const QString &id) { return callbackUrlFor(id); };
        const bool webhook = o.webhook;
        rc.webhookUrl = [this, webhook](const QString &id) {
            return webhook ? baseUrl() + QStringLiteral("/api/runpod/webhook/") + id + QStringLiteral("?token=") +
                                 auth->jobToken(id)
                           : QString();
        };
        runpodClient = std::make_unique<cd::runners::RunPodClient>(rc.client, nam.get());
        runpod =
            std::make_unique<cd::runners::RunPodRunner>(rc, runpodClient.get(), jobs.get(), bus.get(), results.get());
        scheduler->addRunner(runpod.get(), 10);
    }
    if (!o.podUrl.isEmpty()) {
        cd::runners::RunPodPodConfig pc;
        pc.podUrl = o.podUrl;
        pc.callbackUrl = [this](const QString &id) { return callbackUrlFor(id); };
        runpodPod = std::make_unique<cd::runners::RunPodPodRunner>(pc, nam.get(), bus.get(), results.get());
        scheduler->addRunner(runpodPod.get(), 10);
    }

    sse = std::make_unique<cd::http::SseHub>(jobs.get(), logs.get(), feed.get());
    events = std::make_unique<cd::http::EventsHub>(feed.get());
    events->watchResults(results.get());
    cd::http::GuardLimits limits = o.guardLimits;
    limits.maxBodyBytes = o.maxBodyBytes;
    api = std::make_unique<cd::http::ApiServer>(auth.get(), limits);
    cd::http::Services s;
    s.jobs = jobs.get();
    s.logs = logs.get();
    s.bus = bus.get();
    s.scheduler = scheduler.get();
    s.artifacts = artifacts.get();
    s.auth = auth.get();
    s.sse = sse.get();
    s.events = events.get();
    s.api = api.get();
    s.callbackUrl = [this](const QString &id) { return callbackUrlFor(id); };
    s.runpodWebhook = [this](const QString &id, const QJsonObject &doc) {
        if (!runpod)
            return false;
        runpod->onWebhook(id, doc);
        return true;
    };
    crawlerApi = std::make_unique<cd::http::CrawlerController>(s);
    jobsApi = std::make_unique<cd::http::JobsController>(s);
    healthApi = std::make_unique<cd::http::HealthController>(s, QStringLiteral("test"));
    crawlerApi->registerRoutes(api->router());
    jobsApi->registerRoutes(api->router());
    logsApi = std::make_unique<cd::http::LogsController>(s);
    logsApi->registerRoutes(api->router());
    s.profiles = [this] { return QStringList(local->profiles().keys()); };
    profilesApi = std::make_unique<cd::http::ProfilesController>(s);
    profilesApi->registerRoutes(api->router());
    healthApi->registerRoutes(api->router());
    runpodApi = std::make_unique<cd::http::RunPodController>(s);
    runpodApi->setHealthSource([this] { return runpodClient.get(); });
    runpodApi->registerRoutes(api->router());
    nodes = std::make_unique<cd::store::NodeStore>(db.get());
    nodesApi = std::make_unique<cd::http::NodesController>(nodes.get(), 30);
    nodesApi->registerRoutes(api->router());
    scheduler->recover();
    scheduler->start();
    if (o.listen) {
        if (auto p = api->listen(QHostAddress(QHostAddress::LocalHost), 0, o.tlsCert, o.tlsKey); !p)
            throw std::runtime_error(p.error().detail.toStdString());
    }
}

Stack::~Stack()
{
    api->close();
    scheduler->stop();
    logs->flush();
}

QString Stack::callbackUrlFor(const QString &jobId) const
{
    QString url = baseUrl();
    url += QStringLiteral("/api/crawler/log?token=");
    url += auth->jobToken(jobId);
    return url;
}

QString Stack::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(api->port());
}

} // namespace cdtest

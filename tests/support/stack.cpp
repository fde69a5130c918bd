#include "stack.h"

#include <stdexcept>

namespace cdtest {

Stack::Stack(StackOptions o)
{
    if (o.dataDir.isEmpty()) {
        m_tmp = std::make_unique<QTemporaryDir>();
        m_dataDir = m_tmp->path();
    } else {
        m_dataDir = o.dataDir;
    }
    db = std::make_unique<cd::store::Database>();
    if (auto st = db->open(dbPath()); !st)
        throw std::runtime_error(st.error().detail.toStdString());
    jobs = std::make_unique<cd::store::JobStore>(db.get());
    logs = std::make_unique<cd::store::LogStore>(db.get());
    bus = std::make_unique<cd::logs::LogBus>(jobs.get(), logs.get());
    artifacts = std::make_unique<cd::artifacts::ArtifactStore>(m_dataDir, jobs.get());
    auth = std::make_unique<cd::http::Auth>(QString::fromLatin1(kToken), QString::fromLatin1(kCallbackKey),
                                            QByteArrayLiteral("test-secret"), o.trustLoopback);
    scheduler = std::make_unique<cd::scheduler::Scheduler>(jobs.get(), bus.get(), artifacts.get());
    scheduler->setRetryDelayMs(100);

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

    sse = std::make_unique<cd::http::SseHub>(jobs.get(), logs.get(), bus.get());
    cd::http::GuardLimits limits;
    limits.maxBodyBytes = o.maxBodyBytes;
    api = std::make_unique<cd::http::ApiServer>(auth.get(), limits);
    cd::http::Services s{jobs.get(), logs.get(), bus.get(), scheduler.get(), artifacts.get(), auth.get(), sse.get(),
                         [this](const QString &id) {
                             QString url = baseUrl();
                             url += QStringLiteral("/api/crawler/log?token=");
                             url += auth->jobToken(id);
                             return url;
                         }};
    crawlerApi = std::make_unique<cd::http::CrawlerController>(s);
    jobsApi = std::make_unique<cd::http::JobsController>(s);
    healthApi = std::make_unique<cd::http::HealthController>(s, QStringLiteral("test"));
    crawlerApi->registerRoutes(api->router());
    jobsApi->registerRoutes(api->router());
    healthApi->registerRoutes(api->router());
    scheduler->recover();
    scheduler->start();
    if (o.listen) {
        if (auto p = api->listen(QHostAddress(QHostAddress::LocalHost), 0); !p)
            throw std::runtime_error(p.error().detail.toStdString());
    }
}

Stack::~Stack()
{
    api->close();
    scheduler->stop();
    logs->flush();
}

QString Stack::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(api->port());
}

} // namespace cdtest

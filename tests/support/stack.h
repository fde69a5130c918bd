#pragma once

#include "artifacts/artifactstore.h"
#include "artifacts/resultcollector.h"
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
#include "http/ssehub.h"
#include "logs/logbus.h"
#include "runners/localrunner.h"
#include "runners/runpodpodrunner.h"
#include "runners/runpodrunner.h"
#include "scheduler/scheduler.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/logstore.h"
#include "store/nodestore.h"

#include <QMap>
#include <QNetworkAccessManager>
#include <QTemporaryDir>

#include <memory>

namespace cdtest {

struct StackOptions
{
    bool loopbackTrusted = false; // as the product: strict unless an operator opts in
    cd::http::AuthLimits authLimits;
    int localSlots = 2;
    int graceMs = 2000;
    qint64 maxBodyBytes = 1024 * 1024;
    QMap<QString, QString> profiles;
    bool listen = true;
    QString dataDir;     // empty = a fresh temporary directory
    QString database;    // empty = SQLite in dataDir; else a postgresql:// URL
    QUrl runpodEndpoint; // empty = runpod backend off
    QString runpodKey;
    QUrl podUrl;          // empty = runpod-pod backend off
    bool webhook = false; // hand RunPod our webhook URL
    int pollMinMs = 200;
    int pollMaxMs = 1000;
    cd::http::GuardLimits guardLimits; // maxBodyBytes comes from the field above
    QString tlsCert;                   // both set: the listener speaks TLS
    QString tlsKey;

    // Chainable setters: GCC warns on partial designated initialisers.
    StackOptions &noListen()
    {
        listen = false;
        return *this;
    }
    StackOptions &trustLoopback()
    {
        loopbackTrusted = true;
        return *this;
    }
    StackOptions &limits(const cd::http::AuthLimits &l)
    {
        authLimits = l;
        return *this;
    }
    StackOptions &slots(int n)
    {
        localSlots = n;
        return *this;
    }
    StackOptions &grace(int ms)
    {
        graceMs = ms;
        return *this;
    }
    StackOptions &bodyCap(qint64 n)
    {
        maxBodyBytes = n;
        return *this;
    }
    StackOptions &withProfiles(const QMap<QString, QString> &p)
    {
        profiles = p;
        return *this;
    }
    StackOptions &in(const QString &dir)
    {
        dataDir = dir;
        return *this;
    }
    StackOptions &runpod(const QUrl &endpoint, const QString &key)
    {
        runpodEndpoint = endpoint;
        runpodKey = key;
        return *this;
    }
    StackOptions &pod(const QUrl &url)
    {
        podUrl = url;
        return *this;
    }
    StackOptions &withWebhook()
    {
        webhook = true;
        return *this;
    }
    StackOptions &guard(const cd::http::GuardLimits &limits)
    {
        guardLimits = limits;
        return *this;
    }
    StackOptions &tls(const QString &cert, const QString &key)
    {
        tlsCert = cert;
        tlsKey = key;
        return *this;
    }
    StackOptions &on(const QString &databaseUrl)
    {
        database = databaseUrl;
        return *this;
    }
};

// A self-signed certificate and key for 127.0.0.1 written into `dir` (cert.pem, key.pem) with the
// openssl tool; false when openssl is missing.
bool makeTestCertificate(const QString &dir, QString *cert, QString *key);

// The real services wired as the app wires them, on a temporary SQLite file and a loopback port.
// Tests talk to it over sockets; nothing in it is mocked.
class Stack
{
public:
    static inline const QByteArray kToken = "test-api-token";
    static inline const QByteArray kCallbackKey = "test-callback-key";

    explicit Stack(StackOptions options = {});
    ~Stack();

    QString dataDir() const { return m_dataDir; }
    QString dbPath() const { return m_dataDir + QStringLiteral("/crawldeck.db"); }
    quint16 port() const { return api->port(); }
    QString baseUrl() const;
    QString callbackUrlFor(const QString &jobId) const;

    std::unique_ptr<cd::store::Database> db;
    std::unique_ptr<cd::store::JobStore> jobs;
    std::unique_ptr<cd::store::LogStore> logs;
    std::unique_ptr<cd::feed::ChangeFeed> feed;
    std::unique_ptr<cd::logs::LogBus> bus;
    std::unique_ptr<cd::artifacts::ArtifactStore> artifacts;
    std::unique_ptr<cd::http::Auth> auth;
    std::unique_ptr<cd::scheduler::Scheduler> scheduler;
    std::unique_ptr<cd::runners::LocalRunner> local;
    std::unique_ptr<QNetworkAccessManager> nam;
    std::unique_ptr<cd::artifacts::ResultCollector> results;
    std::unique_ptr<cd::runners::RunPodClient> runpodClient;
    std::unique_ptr<cd::runners::RunPodRunner> runpod;
    std::unique_ptr<cd::runners::RunPodPodRunner> runpodPod;
    std::unique_ptr<cd::http::SseHub> sse;
    std::unique_ptr<cd::http::EventsHub> events;
    std::unique_ptr<cd::http::ApiServer> api;
    std::unique_ptr<cd::http::CrawlerController> crawlerApi;
    std::unique_ptr<cd::http::JobsController> jobsApi;
    std::unique_ptr<cd::http::LogsController> logsApi;
    std::unique_ptr<cd::http::ProfilesController> profilesApi;
    std::unique_ptr<cd::http::HealthController> healthApi;
    std::unique_ptr<cd::http::RunPodController> runpodApi;
    std::unique_ptr<cd::store::NodeStore> nodes;
    std::unique_ptr<cd::http::NodesController> nodesApi;

private:
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_dataDir;
};

} // namespace cdtest

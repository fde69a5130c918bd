#include "commandline.h"

#include "model/job.h"

#include <QCommandLineParser>

namespace cd::app {

CommandLine CommandLine::parse(const QStringList &args)
{
    CommandLine cl;
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Crawldeck: start, watch, cancel and collect long-running crawl jobs "
                                               "on a local crawler or on RunPod."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    const QCommandLineOption version(QStringLiteral("version"), QStringLiteral("Show the version."));
    const QCommandLineOption headless(QStringLiteral("headless"), QStringLiteral("Run the service without a GUI."));
    const QCommandLineOption connectTo(
        QStringLiteral("connect"),
        QStringLiteral("Open the window attached to the Crawldeck server at URL, with no service of its own (token: "
                       "CRAWLDECK_API_TOKEN, else asked for)."),
        QStringLiteral("URL"));
    const QCommandLineOption listen(QStringLiteral("listen"),
                                    QStringLiteral("Address to listen on (default 127.0.0.1:8000)."),
                                    QStringLiteral("HOST:PORT"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"),
                                     QStringLiteral("Where jobs, logs, artifacts and settings live."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption database(
        QStringLiteral("database"),
        QStringLiteral("Database: a SQLite file path or postgresql://user:password@host:port/database."),
        QStringLiteral("URL"));
    const QCommandLineOption apiToken(QStringLiteral("api-token"), QStringLiteral("API token for control routes."),
                                      QStringLiteral("TOKEN"));
    const QCommandLineOption callbackKey(QStringLiteral("callback-key"),
                                         QStringLiteral("Global key workers may send in X-API-Key."),
                                         QStringLiteral("KEY"));
    const QCommandLineOption publicUrl(QStringLiteral("public-url"),
                                       QStringLiteral("Base URL workers use to reach this server."),
                                       QStringLiteral("URL"));
    const QCommandLineOption tlsCert(QStringLiteral("tls-cert"), QStringLiteral("TLS certificate (PEM)."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption tlsKey(QStringLiteral("tls-key"), QStringLiteral("TLS private key (PEM)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption localSlots(QStringLiteral("local-slots"),
                                        QStringLiteral("Local jobs running at once (default 2)."), QStringLiteral("N"));
    const QCommandLineOption runpodSlots(QStringLiteral("runpod-slots"),
                                         QStringLiteral("RunPod jobs in flight (default 10)."), QStringLiteral("N"));
    const QCommandLineOption profile(QStringLiteral("local-profile"),
                                     QStringLiteral("A local command profile (repeatable)."),
                                     QStringLiteral("NAME=COMMAND"));
    const QCommandLineOption runpodEndpoint(QStringLiteral("runpod-endpoint"),
                                            QStringLiteral("RunPod serverless base URL."), QStringLiteral("URL"));
    const QCommandLineOption runpodPod(QStringLiteral("runpod-pod-url"), QStringLiteral("RunPod pod worker URL."),
                                       QStringLiteral("URL"));
    const QCommandLineOption trustLoopback(
        QStringLiteral("trust-loopback"),
        QStringLiteral("Let clients on 127.0.0.1/::1 read jobs and post log lines without credentials. Only for a "
                       "single-user machine: behind a reverse proxy every client is loopback."));
    const QCommandLineOption trustedProxy(
        QStringLiteral("trusted-proxy"),
        QStringLiteral("Reverse proxies (comma-separated IP addresses) whose X-Forwarded-For names the client: the "
                       "failure limit then counts each client, not the proxy. Never grants trust."),
        QStringLiteral("ADDR[,ADDR]"));
    // Kept so old service files still start: strict is the default now.
    QCommandLineOption strict(QStringLiteral("strict-auth"), QStringLiteral("Deprecated: strict is the default."));
    strict.setFlags(QCommandLineOption::HiddenFromHelp);
    const QCommandLineOption failureLimit(
        QStringLiteral("auth-failure-limit"),
        QStringLiteral("Wrong credentials one address may send within the window before it is refused with 429 "
                       "(default 20; 0 = no limit)."),
        QStringLiteral("N"));
    const QCommandLineOption failureWindow(QStringLiteral("auth-failure-window"),
                                           QStringLiteral("The window wrong credentials are counted in (default 60)."),
                                           QStringLiteral("SECONDS"));
    const QCommandLineOption cooling(QStringLiteral("auth-cooling"),
                                     QStringLiteral("How long an address over the limit is refused (default 60)."),
                                     QStringLiteral("SECONDS"));
    const QCommandLineOption nodeId(
        QStringLiteral("node-id"),
        QStringLiteral("This node's name among nodes sharing a database (default HOST:PORT)."), QStringLiteral("NAME"));
    const QCommandLineOption nodeTimeout(
        QStringLiteral("node-timeout"),
        QStringLiteral("Seconds without a heartbeat after which a node is dead and its jobs are rescued (default 30)."),
        QStringLiteral("S"));
    const QCommandLineOption globalSlots(QStringLiteral("global-slots"),
                                         QStringLiteral("Active jobs of a backend across all nodes (repeatable)."),
                                         QStringLiteral("BACKEND=N"));
    const QCommandLineOption retentionDays(
        QStringLiteral("retention-days"),
        QStringLiteral("Delete finished jobs, their logs and files this many days after they finished (default 0: "
                       "keep everything)."),
        QStringLiteral("N"));
    const QCommandLineOption artifactMaxBytes(
        QStringLiteral("artifact-max-bytes"),
        QStringLiteral("On a shared database, the largest artifact copied into it so any node can serve it; a larger "
                       "one stays on the disk of the node that made it (default 1073741824; 0 = no cap)."),
        QStringLiteral("BYTES"));
    p.addOptions({help,        version,       headless,         listen,    dataDir,       database,
                  apiToken,    callbackKey,   publicUrl,        tlsCert,   tlsKey,        localSlots,
                  runpodSlots, profile,       runpodEndpoint,   runpodPod, trustLoopback, trustedProxy,
                  strict,      failureLimit,  failureWindow,    cooling,   nodeId,        nodeTimeout,
                  globalSlots, retentionDays, artifactMaxBytes, connectTo});
    // Parsed before any application object exists, so Qt cannot know the program's name.
    // The command line is read before QApplication could take its own options out of it: accept
    // them (hidden) so `crawldeck -platform offscreen` or `-style fusion` still start; QApplication
    // then reads them from argv as always.
    p.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    for (const char *name : {"platform", "platformpluginpath", "platformtheme", "plugin", "qwindowgeometry", "geometry",
                             "qwindowicon", "qwindowtitle", "display", "style", "stylesheet", "session"}) {
        QCommandLineOption qtOption(QString::fromLatin1(name), QString(), QStringLiteral("value"));
        qtOption.setFlags(QCommandLineOption::HiddenFromHelp);
        p.addOption(qtOption);
    }
    for (const char *name : {"reverse", "widgetcount", "nograb", "dograb"}) {
        QCommandLineOption qtFlag(QString::fromLatin1(name));
        qtFlag.setFlags(QCommandLineOption::HiddenFromHelp);
        p.addOption(qtFlag);
    }
    cl.helpText = p.helpText().replace(QStringLiteral("<executable_name>"), QStringLiteral("crawldeck")) +
                  QStringLiteral("\nCommands:\n"
                                 "  crawldeck jobs COMMAND ...        Drive a server (crawldeck jobs --help).\n"
                                 "  crawldeck token [--data-dir DIR]  Print this data directory's API token.\n"
                                 "  crawldeck worker crawl ...        The built-in crawler, as local jobs run it.\n");
    if (!p.parse(args)) {
        cl.error = p.errorText();
        return cl;
    }
    if (!p.positionalArguments().isEmpty()) {
        cl.error = QStringLiteral("unexpected argument '%1'").arg(p.positionalArguments().first());
        return cl;
    }
    cl.showHelp = p.isSet(help);
    cl.showVersion = p.isSet(version);
    cl.headless = p.isSet(headless);
    cl.connectUrl = p.value(connectTo);
    if (cl.headless && p.isSet(connectTo)) {
        cl.error = QStringLiteral("--connect opens the window on another server; it cannot be used with --headless");
        return cl;
    }
    if (p.isSet(connectTo) && !settings::Settings::isHttpUrl(cl.connectUrl)) {
        cl.error = QStringLiteral("--connect expects an http(s) server URL, got '%1'").arg(cl.connectUrl);
        return cl;
    }
    auto &o = cl.overrides;
    auto opt = [&p](const QCommandLineOption &option) -> std::optional<QString> {
        return p.isSet(option) ? std::optional<QString>(p.value(option)) : std::nullopt;
    };
    o.listen = opt(listen);
    if (o.listen && !settings::HostPort::parse(*o.listen)) {
        cl.error = QStringLiteral("--listen expects HOST:PORT, got '%1'").arg(*o.listen);
        return cl;
    }
    o.dataDir = opt(dataDir);
    o.database = opt(database);
    o.apiToken = opt(apiToken);
    o.callbackKey = opt(callbackKey);
    o.publicUrl = opt(publicUrl);
    o.tlsCert = opt(tlsCert);
    o.tlsKey = opt(tlsKey);
    o.runpodEndpoint = opt(runpodEndpoint);
    o.runpodPodUrl = opt(runpodPod);
    if (p.isSet(strict))
        cl.warnings << QStringLiteral("--strict-auth is deprecated and does nothing: credentials are required from "
                                      "every address by default (--trust-loopback is the opt-out)");
    if (p.isSet(trustLoopback))
        o.trustLoopback = true;
    o.trustedProxies = opt(trustedProxy);
    if (o.trustedProxies) {
        const auto addresses = settings::Settings::parseAddresses(*o.trustedProxies);
        if (!addresses || addresses->isEmpty()) {
            cl.error = QStringLiteral("--trusted-proxy expects IP addresses separated by commas: %1")
                           .arg(addresses ? QStringLiteral("none given") : addresses.error().detail);
            return cl;
        }
    }
    struct Bounded
    {
        const QCommandLineOption *option;
        std::optional<int> *target;
        int min, max;
    };
    for (const Bounded &b :
         {Bounded{&localSlots, &o.localSlots, 1, 1000}, Bounded{&runpodSlots, &o.runpodSlots, 1, 1000},
          Bounded{&failureLimit, &o.authFailureLimit, 0, 1000000},
          Bounded{&failureWindow, &o.authFailureWindowS, 1, 86400}, Bounded{&cooling, &o.authCoolingS, 1, 86400},
          Bounded{&retentionDays, &o.retentionDays, 0, 36500}}) {
        if (!p.isSet(*b.option))
            continue;
        bool ok = false;
        const int n = p.value(*b.option).toInt(&ok);
        if (!ok || n < b.min || n > b.max) {
            cl.error = QStringLiteral("--%1 expects a number from %2 to %3")
                           .arg(b.option->names().first())
                           .arg(b.min)
                           .arg(b.max);
            return cl;
        }
        *b.target = n;
    }
    for (const QString &value : p.values(profile)) {
        const qsizetype eq = value.indexOf(u'=');
        if (eq <= 0 || eq == value.size() - 1) {
            cl.error = QStringLiteral("--local-profile expects NAME=COMMAND, got '%1'").arg(value);
            return cl;
        }
        o.localProfiles.insert(value.left(eq).trimmed(), value.mid(eq + 1).trimmed());
    }
    o.nodeId = opt(nodeId);
    if (o.nodeId && o.nodeId->trimmed().isEmpty()) {
        cl.error = QStringLiteral("--node-id expects a name");
        return cl;
    }
    if (p.isSet(nodeTimeout)) {
        bool ok = false;
        const int s = p.value(nodeTimeout).toInt(&ok);
        if (!ok || s < 1 || s > 86400) {
            cl.error = QStringLiteral("--node-timeout expects seconds from 1 to 86400");
            return cl;
        }
        o.nodeTimeoutS = s;
    }
    if (p.isSet(artifactMaxBytes)) {
        bool ok = false;
        const qint64 n = p.value(artifactMaxBytes).toLongLong(&ok);
        if (!ok || n < 0) {
            cl.error = QStringLiteral("--artifact-max-bytes expects a number of bytes (0 = no cap), got '%1'")
                           .arg(p.value(artifactMaxBytes));
            return cl;
        }
        o.artifactMaxBytes = n;
    }
    for (const QString &value : p.values(globalSlots)) {
        const qsizetype eq = value.indexOf(u'=');
        bool ok = false;
        const int n = eq > 0 ? value.mid(eq + 1).toInt(&ok) : 0;
        const QString backend = value.left(qMax<qsizetype>(eq, 0));
        if (!ok || n < 1 || n > 100000 || !model::backendFromString(backend)) {
            cl.error = QStringLiteral("--global-slots expects BACKEND=N (backend local, runpod or runpod-pod; N from 1 "
                                      "to 100000), got '%1'")
                           .arg(value);
            return cl;
        }
        o.globalSlots.insert(backend, n);
    }
    if (o.tlsCert.has_value() != o.tlsKey.has_value()) {
        cl.error = QStringLiteral("--tls-cert and --tls-key go together");
        return cl;
    }
    return cl;
}

} // namespace cd::app

#pragma once

#include <QHostAddress>
#include <QList>
#include <QMap>
#include <QProcessEnvironment>
#include <QSettings>
#include <QString>

#include "common/result.h"
#include "secretstore.h"

#include <memory>
#include <optional>

namespace cd::settings {

// What the command line says; every field unset means "not given".
struct Overrides
{
    std::optional<QString> listen; // HOST:PORT
    std::optional<QString> dataDir;
    std::optional<QString> database;
    std::optional<QString> apiToken;
    std::optional<QString> callbackKey;
    std::optional<QString> publicUrl;
    std::optional<QString> tlsCert;
    std::optional<QString> tlsKey;
    std::optional<int> localSlots;
    std::optional<int> runpodSlots;
    QMap<QString, QString> localProfiles;
    std::optional<QString> runpodEndpoint;
    std::optional<QString> runpodPodUrl;
    std::optional<bool> trustLoopback;
    std::optional<QString> trustedProxies; // ADDR[,ADDR]
    std::optional<int> authFailureLimit;
    std::optional<int> authFailureWindowS;
    std::optional<int> authCoolingS;
    std::optional<QString> nodeId;
    std::optional<int> nodeTimeoutS;
    QMap<QString, int> globalSlots; // backend id → active jobs across all nodes
    std::optional<int> retentionDays;
    std::optional<qint64> artifactMaxBytes;
};

// Where a node keeps the artifacts it collects: Auto is Database on PostgreSQL (any node serves any
// job's files) and Disk on SQLite (one node: a copy would only double the space).
enum class ArtifactStorage { Auto, Disk, Database };

struct HostPort
{
    QString host;
    quint16 port = 0;
    static std::optional<HostPort> parse(const QString &text);
    QString toString() const;
};

// The saved settings that the command line or the environment can override.
enum class Setting {
    Listen,
    PublicUrl,
    Database,
    TlsCert,
    TlsKey,
    ApiToken,
    CallbackKey,
    TrustLoopback,
    TrustedProxies,
    LocalSlots,
    RunpodSlots,
    RunpodEndpoint,
    RunpodPodUrl,
    RunpodApiKey,
};

// The one typed facade over configuration. Precedence: command line > environment > saved settings
// (<data dir>/crawldeck.ini) > defaults. Key strings and environment names live only in settings.cpp.
class Settings
{
public:
    static QString defaultDataDir();
    // The data directory comes first: it decides where the saved settings are.
    static QString resolveDataDir(const Overrides &cli, const QProcessEnvironment &env);

    // http or https with a host: the only URLs a worker or RunPod can be pointed at.
    static bool isHttpUrl(const QString &url);
    // The first URL given on the command line or in the environment that is not one, as a message
    // naming where it came from; empty when all are fine.
    static QString urlProblem(const Overrides &cli, const QProcessEnvironment &env);
    // The saved API token of a data directory, read without creating anything (`crawldeck token`).
    static Result<QString> savedApiToken(const QString &dataDir);

    Settings(const QString &dataDir, Overrides cli = {},
             QProcessEnvironment env = QProcessEnvironment::systemEnvironment());

    QString dataDir() const { return m_dataDir; }
    QString settingsFile() const;
    static QString settingsFileIn(const QString &dataDir);

    // What overrides the saved value of a setting ("--listen", "RUNPOD_ENDPOINT_URL"), or empty
    // when the saved value is the one in effect. A form must not offer to change an overridden
    // value: the change would not take effect. The setters below enforce the other half: each one
    // saves nothing and returns false when its setting is overridden, so an override's value is
    // never written into the ini.
    QString overriddenBy(Setting setting) const;
    // The same for one local profile (a --local-profile NAME=... replaces the saved NAME).
    QString profileOverriddenBy(const QString &name) const;

    HostPort listen() const;
    bool setListen(const HostPort &hp);
    QString databaseLocation() const;
    QString publicUrl() const;
    bool setPublicUrl(const QString &url);
    QString tlsCert() const;
    QString tlsKey() const;

    // Generated and saved on first use when nothing provides one.
    QString apiToken();
    QString regenerateApiToken();
    QString callbackKey();
    QString regenerateCallbackKey();
    QByteArray serverSecret();
    bool apiTokenWasGenerated() const { return m_generatedToken; }
    // A generated token is shown until it has been: a first start that failed before its ready line
    // (a busy port) must not lose it. Tokens from the command line or environment need no showing.
    bool apiTokenNeedsShowing();
    void setApiTokenShown();

    // Off by default: loopback clients may post logs and read job state without credentials only when
    // an operator opts in (a single-user machine); behind a reverse proxy every client is loopback.
    bool trustLoopback() const;
    bool setTrustLoopback(bool on);
    // Reverse proxies (ADDR[,ADDR]) whose X-Forwarded-For or Forwarded header names the client, for
    // the failure limit and the log; none by default. Never a reason to trust a request.
    QList<QHostAddress> trustedProxies() const;
    bool setTrustedProxies(const QString &addresses);
    // The addresses of "ADDR[,ADDR]"; an error naming the first that is not one.
    static Result<QList<QHostAddress>> parseAddresses(const QString &text);
    // Wrong credentials tolerated per client address within the window before it cools down.
    int authFailureLimit() const;
    int authFailureWindowS() const;
    int authCoolingS() const;

    int localSlots() const;
    bool setLocalSlots(int n);
    int runpodSlots() const;
    bool setRunpodSlots(int n);
    // Saved as text, one key per profile in the [profiles] group of the ini file (NAME=COMMAND), so
    // an operator can edit them by hand. Older builds saved one binary blob; it is converted once.
    // Setting them never writes a profile that --local-profile provides.
    QMap<QString, QString> localProfiles() const;
    void setLocalProfiles(const QMap<QString, QString> &profiles);

    QString runpodEndpoint() const;
    bool setRunpodEndpoint(const QString &url);
    QString runpodPodUrl() const;
    bool setRunpodPodUrl(const QString &url);
    // Environment (RUNPOD_API_KEY) first, then the secret store (keychain, or a 0600 file). Setting
    // it while RUNPOD_API_KEY is set is refused (Conflict): the stored key would not be used.
    SecretStore::Value runpodApiKey() const;
    Result<QString> setRunpodApiKey(const QString &key);
    void setUseKeychain(bool on);

    bool closeToTray() const;
    void setCloseToTray(bool on);
    // The job table's header (which columns show, in which order, how wide): QHeaderView::saveState.
    QByteArray jobTableHeader() const;
    void setJobTableHeader(const QByteArray &state);

    int killGraceMs() const;
    qint64 maxBodyBytes() const;

    // Several nodes on one database (DESIGN §7). Empty node id: the caller names the node after its
    // host and port.
    QString nodeId() const;
    int nodeTimeoutS() const;
    // Active jobs of a backend across all nodes; 0 = no limit beyond each node's slots.
    int globalSlots(const QString &backend) const;

    // Finished jobs older than this many days are deleted with their logs and files; 0 (the
    // default) keeps everything.
    int retentionDays() const;

    // artifacts/storage (database or disk; unset = Auto). A value that is neither is an error.
    Result<ArtifactStorage> artifactStorage() const;
    // The largest artifact copied into the database (--artifact-max-bytes, artifacts/maxBytes); a
    // larger one stays on the producing node's disk only. 0 = no cap.
    static constexpr qint64 kDefaultArtifactMaxBytes = 1024LL * 1024 * 1024;
    Result<qint64> artifactMaxBytes() const;

    void sync();

private:
    void migrateProfiles();
    QString pick(const std::optional<QString> &cli, const char *envName, const QString &key,
                 const QString &fallback) const;
    QString secret(const QString &key, const char *envName, const std::optional<QString> &cli, int bytes,
                   bool *generated);

    QString m_dataDir;
    Overrides m_cli;
    QProcessEnvironment m_env;
    std::unique_ptr<QSettings> m_store;
    std::unique_ptr<SecretStore> m_secrets;
    bool m_generatedToken = false;
};

} // namespace cd::settings

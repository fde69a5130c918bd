#include "settings.h"

#include "common/privatefiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QUrl>

namespace cd::settings {

namespace {
// Saved keys.
const QString kListen = QStringLiteral("server/listen");
const QString kPublicUrl = QStringLiteral("server/publicUrl");
const QString kDatabase = QStringLiteral("server/database");
const QString kTlsCert = QStringLiteral("server/tlsCert");
const QString kTlsKey = QStringLiteral("server/tlsKey");
const QString kMaxBody = QStringLiteral("server/maxBodyBytes");
const QString kApiToken = QStringLiteral("auth/apiToken");
const QString kCallbackKey = QStringLiteral("auth/callbackKey");
const QString kSecret = QStringLiteral("auth/serverSecret");
// Not "auth/trustLoopback": that key defaulted to on and was saved by every OK in the settings
// dialog, so reading it would keep old installs trusting loopback without anyone having chosen to.
const QString kTrustLoopback = QStringLiteral("auth/loopbackTrusted");
const QString kTrustedProxies = QStringLiteral("auth/trustedProxies");
const QString kTokenShown = QStringLiteral("auth/apiTokenShown");
const QString kFailureLimit = QStringLiteral("auth/failureLimit");
const QString kFailureWindow = QStringLiteral("auth/failureWindowS");
const QString kCooling = QStringLiteral("auth/coolingS");
const QString kLocalSlots = QStringLiteral("local/slots");
const QString kKillGrace = QStringLiteral("local/killGraceMs");
const QString kProfilesGroup = QStringLiteral("profiles");
const QString kLegacyProfiles = QStringLiteral("local/profiles"); // a QVariantMap blob, read once
const QString kCloseToTray = QStringLiteral("ui/closeToTray");
const QString kJobTableHeader = QStringLiteral("ui/jobTableHeader");
const QString kRunpodSlots = QStringLiteral("runpod/slots");
const QString kRunpodEndpoint = QStringLiteral("runpod/endpointUrl");
const QString kRunpodPodUrl = QStringLiteral("runpod/podUrl");

// Environment names (DESIGN §10).
constexpr const char *kEnvApiToken = "CRAWLDECK_API_TOKEN";
constexpr const char *kEnvCallbackKey = "CRAWLDECK_CALLBACK_KEY";
constexpr const char *kEnvDataDir = "CRAWLDECK_DATA_DIR";
constexpr const char *kEnvDatabase = "CRAWLDECK_DATABASE";
constexpr const char *kEnvListen = "CRAWLDECK_LISTEN";
constexpr const char *kEnvPublicUrl = "CRAWLDECK_PUBLIC_URL";
constexpr const char *kEnvRunpodKey = "RUNPOD_API_KEY";
constexpr const char *kEnvRunpodEndpoint = "RUNPOD_ENDPOINT_URL";
constexpr const char *kEnvRunpodPod = "RUNPOD_POD_URL";

const QString kSecretRunpodKey = QStringLiteral("runpod_api_key");

const QString kDefaultListen = QStringLiteral("127.0.0.1:8000");

QString envValue(const QProcessEnvironment &env, const char *name)
{
    return env.value(QLatin1String(name));
}

QString randomToken(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator::system()->generate(raw.begin(), raw.end());
    return QString::fromLatin1(raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}
} // namespace

QString Settings::defaultDataDir()
{
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return (base.isEmpty() ? QDir::homePath() + QStringLiteral("/.local/share") : base) + QStringLiteral("/crawldeck");
}

QString Settings::resolveDataDir(const Overrides &cli, const QProcessEnvironment &env)
{
    if (cli.dataDir)
        return QDir(*cli.dataDir).absolutePath();
    const QString fromEnv = envValue(env, kEnvDataDir);
    return fromEnv.isEmpty() ? defaultDataDir() : QDir(fromEnv).absolutePath();
}

bool Settings::isHttpUrl(const QString &url)
{
    const QUrl u(url, QUrl::StrictMode);
    const QString scheme = u.scheme().toLower();
    return u.isValid() && (scheme == u"http" || scheme == u"https") && !u.host().isEmpty();
}

QString Settings::urlProblem(const Overrides &cli, const QProcessEnvironment &env)
{
    const struct
    {
        const std::optional<QString> &cli;
        const char *option;
        const char *envName;
    } checks[] = {{cli.publicUrl, "--public-url", kEnvPublicUrl},
                  {cli.runpodEndpoint, "--runpod-endpoint", kEnvRunpodEndpoint},
                  {cli.runpodPodUrl, "--runpod-pod-url", kEnvRunpodPod}};
    for (const auto &c : checks) {
        const QString value = c.cli ? *c.cli : envValue(env, c.envName);
        if (value.isEmpty() || isHttpUrl(value))
            continue;
        return QStringLiteral("%1 must be an http:// or https:// URL with a host, got '%2'")
            .arg(c.cli ? QLatin1String(c.option) : QLatin1String(c.envName), value);
    }
    return {};
}

Result<QString> Settings::savedApiToken(const QString &dataDir)
{
    const QString file = settingsFileIn(dataDir);
    // A directory that exists but cannot be entered hides whether the file exists: that is a
    // permission problem, not a missing token.
    const QFileInfo dir(dataDir);
    if (dir.exists() && (!dir.isExecutable() || !dir.isReadable()))
        return Error::make(
            Error::Code::Forbidden,
            QStringLiteral("cannot read %1: only the user Crawldeck runs as can; run this as that user").arg(dataDir));
    const QFileInfo fi(file);
    if (!fi.exists())
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("no API token yet: %1 does not exist (start Crawldeck once with this data "
                                          "directory and it generates one)")
                               .arg(file));
    QFile probe(file);
    if (!probe.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::Forbidden,
                           QStringLiteral("cannot read %1 (%2): only the user Crawldeck runs as can; run this as that "
                                          "user")
                               .arg(file, probe.errorString()));
    const QSettings ini(file, QSettings::IniFormat);
    const QString token = ini.value(kApiToken).toString();
    if (token.isEmpty())
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("no API token saved in %1: it is given with --api-token or "
                                          "CRAWLDECK_API_TOKEN, or Crawldeck has not started yet")
                               .arg(file));
    return token;
}

Settings::Settings(const QString &dataDir, Overrides cli, QProcessEnvironment env)
    : m_dataDir(dataDir), m_cli(std::move(cli)), m_env(std::move(env))
{
    if (!QFileInfo::exists(m_dataDir))
        makePrivateDir(m_dataDir);
    m_store = std::make_unique<QSettings>(settingsFile(), QSettings::IniFormat);
    m_secrets = std::make_unique<SecretStore>(m_dataDir, false);
    migrateProfiles();
}

void Settings::migrateProfiles()
{
    if (!m_store->contains(kLegacyProfiles))
        return;
    const QVariantMap legacy = m_store->value(kLegacyProfiles).toMap();
    m_store->remove(kLegacyProfiles);
    m_store->beginGroup(kProfilesGroup);
    for (auto it = legacy.cbegin(); it != legacy.cend(); ++it)
        if (!m_store->contains(it.key()))
            m_store->setValue(it.key(), it.value().toString());
    m_store->endGroup();
    m_store->sync();
}

void Settings::setUseKeychain(bool on)
{
    m_secrets = std::make_unique<SecretStore>(m_dataDir, on);
}

QString Settings::settingsFileIn(const QString &dataDir)
{
    return dataDir + QStringLiteral("/crawldeck.ini");
}

QString Settings::settingsFile() const
{
    return settingsFileIn(m_dataDir);
}

QString Settings::pick(const std::optional<QString> &cli, const char *envName, const QString &key,
                       const QString &fallback) const
{
    if (cli)
        return *cli;
    if (envName) {
        const QString e = envValue(m_env, envName);
        if (!e.isEmpty())
            return e;
    }
    return m_store->value(key, fallback).toString();
}

QString Settings::overriddenBy(Setting setting) const
{
    // Mirrors the precedence of pick() and the getters below: a command-line value wins, then a
    // non-empty environment variable.
    const auto from = [this](bool cliSet, const char *flag, const char *envName) -> QString {
        if (cliSet)
            return QLatin1String(flag);
        if (envName && !envValue(m_env, envName).isEmpty())
            return QLatin1String(envName);
        return {};
    };
    switch (setting) {
    case Setting::Listen: return from(m_cli.listen.has_value(), "--listen", kEnvListen);
    case Setting::PublicUrl: return from(m_cli.publicUrl.has_value(), "--public-url", kEnvPublicUrl);
    case Setting::Database: return from(m_cli.database.has_value(), "--database", kEnvDatabase);
    case Setting::TlsCert: return from(m_cli.tlsCert.has_value(), "--tls-cert", nullptr);
    case Setting::TlsKey: return from(m_cli.tlsKey.has_value(), "--tls-key", nullptr);
    case Setting::ApiToken: return from(m_cli.apiToken.has_value(), "--api-token", kEnvApiToken);
    case Setting::CallbackKey: return from(m_cli.callbackKey.has_value(), "--callback-key", kEnvCallbackKey);
    case Setting::TrustLoopback: return from(m_cli.trustLoopback.has_value(), "--trust-loopback", nullptr);
    case Setting::TrustedProxies: return from(m_cli.trustedProxies.has_value(), "--trusted-proxy", nullptr);
    case Setting::LocalSlots: return from(m_cli.localSlots.has_value(), "--local-slots", nullptr);
    case Setting::RunpodSlots: return from(m_cli.runpodSlots.has_value(), "--runpod-slots", nullptr);
    case Setting::RunpodEndpoint:
        return from(m_cli.runpodEndpoint.has_value(), "--runpod-endpoint", kEnvRunpodEndpoint);
    case Setting::RunpodPodUrl: return from(m_cli.runpodPodUrl.has_value(), "--runpod-pod-url", kEnvRunpodPod);
    case Setting::RunpodApiKey: return from(false, "", kEnvRunpodKey);
    }
    return {};
}

QString Settings::profileOverriddenBy(const QString &name) const
{
    return m_cli.localProfiles.contains(name) ? QStringLiteral("--local-profile") : QString();
}

HostPort Settings::listen() const
{
    const QString text = pick(m_cli.listen, kEnvListen, kListen, kDefaultListen);
    return HostPort::parse(text).value_or(*HostPort::parse(kDefaultListen));
}

bool Settings::setListen(const HostPort &hp)
{
    if (!overriddenBy(Setting::Listen).isEmpty())
        return false;
    m_store->setValue(kListen, hp.toString());
    return true;
}

QString Settings::databaseLocation() const
{
    return pick(m_cli.database, kEnvDatabase, kDatabase, m_dataDir + QStringLiteral("/crawldeck.db"));
}

QString Settings::publicUrl() const
{
    return pick(m_cli.publicUrl, kEnvPublicUrl, kPublicUrl, QString());
}

bool Settings::setPublicUrl(const QString &url)
{
    if (!overriddenBy(Setting::PublicUrl).isEmpty())
        return false;
    m_store->setValue(kPublicUrl, url);
    return true;
}

QString Settings::tlsCert() const
{
    return pick(m_cli.tlsCert, nullptr, kTlsCert, QString());
}

QString Settings::tlsKey() const
{
    return pick(m_cli.tlsKey, nullptr, kTlsKey, QString());
}

QString Settings::secret(const QString &key, const char *envName, const std::optional<QString> &cli, int bytes,
                         bool *generated)
{
    const QString given = pick(cli, envName, key, QString());
    if (!given.isEmpty())
        return given;
    const QString fresh = randomToken(bytes);
    m_store->setValue(key, fresh);
    if (key == kApiToken)
        m_store->setValue(kTokenShown, false);
    m_store->sync();
    // The settings file holds secrets: only its owner may read it.
    QFile::setPermissions(settingsFile(), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (generated)
        *generated = true;
    return fresh;
}

QString Settings::apiToken()
{
    return secret(kApiToken, kEnvApiToken, m_cli.apiToken, 24, &m_generatedToken);
}

QString Settings::regenerateApiToken()
{
    m_store->remove(kApiToken);
    m_cli.apiToken.reset();
    const QString token = secret(kApiToken, nullptr, std::nullopt, 24, &m_generatedToken);
    // Regenerated from the settings dialog, which shows it.
    setApiTokenShown();
    return token;
}

bool Settings::apiTokenNeedsShowing()
{
    if (m_cli.apiToken || !envValue(m_env, kEnvApiToken).isEmpty())
        return false;
    apiToken();
    // Installs from before the flag showed their token on the first start.
    return !m_store->value(kTokenShown, true).toBool();
}

void Settings::setApiTokenShown()
{
    m_store->setValue(kTokenShown, true);
    m_store->sync();
}

QString Settings::callbackKey()
{
    return secret(kCallbackKey, kEnvCallbackKey, m_cli.callbackKey, 24, nullptr);
}

QString Settings::regenerateCallbackKey()
{
    m_store->remove(kCallbackKey);
    m_cli.callbackKey.reset();
    return secret(kCallbackKey, nullptr, std::nullopt, 24, nullptr);
}

QByteArray Settings::serverSecret()
{
    return secret(kSecret, nullptr, std::nullopt, 32, nullptr).toLatin1();
}

bool Settings::trustLoopback() const
{
    if (m_cli.trustLoopback)
        return *m_cli.trustLoopback;
    return m_store->value(kTrustLoopback, false).toBool();
}

int Settings::authFailureLimit() const
{
    return qMax(0, m_cli.authFailureLimit.value_or(m_store->value(kFailureLimit, 20).toInt()));
}

int Settings::authFailureWindowS() const
{
    return qMax(1, m_cli.authFailureWindowS.value_or(m_store->value(kFailureWindow, 60).toInt()));
}

int Settings::authCoolingS() const
{
    return qMax(1, m_cli.authCoolingS.value_or(m_store->value(kCooling, 60).toInt()));
}

bool Settings::setTrustLoopback(bool on)
{
    if (!overriddenBy(Setting::TrustLoopback).isEmpty())
        return false;
    m_store->setValue(kTrustLoopback, on);
    return true;
}

QList<QHostAddress> Settings::trustedProxies() const
{
    // Checked at start (the command line) and when saved: a bad saved value means none.
    return parseAddresses(pick(m_cli.trustedProxies, nullptr, kTrustedProxies, QString())).value_or({});
}

bool Settings::setTrustedProxies(const QString &addresses)
{
    if (!overriddenBy(Setting::TrustedProxies).isEmpty() || !parseAddresses(addresses))
        return false;
    m_store->setValue(kTrustedProxies, addresses.trimmed());
    return true;
}

Result<QList<QHostAddress>> Settings::parseAddresses(const QString &text)
{
    QList<QHostAddress> out;
    for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
        const QHostAddress a(part.trimmed());
        if (a.isNull())
            return Error::make(Error::Code::InvalidArgument,
                               QStringLiteral("'%1' is not an IP address").arg(part.trimmed()));
        out << a;
    }
    return out;
}

int Settings::localSlots() const
{
    return qMax(1, m_cli.localSlots.value_or(m_store->value(kLocalSlots, 2).toInt()));
}

bool Settings::setLocalSlots(int n)
{
    if (!overriddenBy(Setting::LocalSlots).isEmpty())
        return false;
    m_store->setValue(kLocalSlots, n);
    return true;
}

int Settings::runpodSlots() const
{
    return qMax(1, m_cli.runpodSlots.value_or(m_store->value(kRunpodSlots, 10).toInt()));
}

bool Settings::setRunpodSlots(int n)
{
    if (!overriddenBy(Setting::RunpodSlots).isEmpty())
        return false;
    m_store->setValue(kRunpodSlots, n);
    return true;
}

QMap<QString, QString> Settings::localProfiles() const
{
    QMap<QString, QString> out{{QStringLiteral("crawler"),
                                QStringLiteral("crawldeck worker crawl --params {params_file} --output {output_dir}")}};
    m_store->beginGroup(kProfilesGroup);
    for (const QString &name : m_store->childKeys()) {
        const QVariant v = m_store->value(name);
        // An unquoted command with commas reads back as a list: the commas were part of it.
        out.insert(name,
                   v.typeId() == QMetaType::QStringList ? v.toStringList().join(QStringLiteral(", ")) : v.toString());
    }
    m_store->endGroup();
    for (auto it = m_cli.localProfiles.cbegin(); it != m_cli.localProfiles.cend(); ++it)
        out.insert(it.key(), it.value());
    return out;
}

void Settings::setLocalProfiles(const QMap<QString, QString> &profiles)
{
    m_store->beginGroup(kProfilesGroup);
    // A saved profile that --local-profile replaces for this run stays as it was saved: the form
    // shows the override, and the saved command applies again once the option is dropped.
    for (const QString &name : m_store->childKeys())
        if (!m_cli.localProfiles.contains(name))
            m_store->remove(name);
    for (auto it = profiles.cbegin(); it != profiles.cend(); ++it)
        if (!m_cli.localProfiles.contains(it.key()))
            m_store->setValue(it.key(), it.value());
    m_store->endGroup();
}

QString Settings::runpodEndpoint() const
{
    return pick(m_cli.runpodEndpoint, kEnvRunpodEndpoint, kRunpodEndpoint, QString());
}

bool Settings::setRunpodEndpoint(const QString &url)
{
    if (!overriddenBy(Setting::RunpodEndpoint).isEmpty())
        return false;
    m_store->setValue(kRunpodEndpoint, url);
    return true;
}

QString Settings::runpodPodUrl() const
{
    return pick(m_cli.runpodPodUrl, kEnvRunpodPod, kRunpodPodUrl, QString());
}

bool Settings::setRunpodPodUrl(const QString &url)
{
    if (!overriddenBy(Setting::RunpodPodUrl).isEmpty())
        return false;
    m_store->setValue(kRunpodPodUrl, url);
    return true;
}

SecretStore::Value Settings::runpodApiKey() const
{
    const QString fromEnv = envValue(m_env, kEnvRunpodKey);
    if (!fromEnv.isEmpty())
        return {fromEnv, QLatin1String(kEnvRunpodKey)};
    return m_secrets->read(kSecretRunpodKey);
}

Result<QString> Settings::setRunpodApiKey(const QString &key)
{
    if (const QString by = overriddenBy(Setting::RunpodApiKey); !by.isEmpty())
        return Error::make(Error::Code::Conflict,
                           QStringLiteral("the RunPod API key comes from %1; change it there").arg(by));
    return m_secrets->write(kSecretRunpodKey, key);
}

bool Settings::closeToTray() const
{
    return m_store->value(kCloseToTray, false).toBool();
}

void Settings::setCloseToTray(bool on)
{
    m_store->setValue(kCloseToTray, on);
}

QByteArray Settings::jobTableHeader() const
{
    return m_store->value(kJobTableHeader).toByteArray();
}

void Settings::setJobTableHeader(const QByteArray &state)
{
    m_store->setValue(kJobTableHeader, state);
}

int Settings::killGraceMs() const
{
    return qMax(100, m_store->value(kKillGrace, 10000).toInt());
}

qint64 Settings::maxBodyBytes() const
{
    return qMax<qint64>(4096, m_store->value(kMaxBody, 8 * 1024 * 1024).toLongLong());
}

QString Settings::nodeId() const
{
    return m_cli.nodeId.value_or(m_store->value(QStringLiteral("cluster/nodeId")).toString());
}

int Settings::nodeTimeoutS() const
{
    return qMax(1, m_cli.nodeTimeoutS.value_or(m_store->value(QStringLiteral("cluster/nodeTimeoutS"), 30).toInt()));
}

int Settings::globalSlots(const QString &backend) const
{
    return qMax(0, m_cli.globalSlots.value(
                       backend, m_store->value(QStringLiteral("cluster/globalSlots/") + backend, 0).toInt()));
}

int Settings::retentionDays() const
{
    return qMax(0, m_cli.retentionDays.value_or(m_store->value(QStringLiteral("retention/days"), 0).toInt()));
}

Result<ArtifactStorage> Settings::artifactStorage() const
{
    const QString key = QStringLiteral("artifacts/storage");
    const QString v = m_store->value(key).toString().trimmed();
    if (v.isEmpty())
        return ArtifactStorage::Auto;
    if (v == u"database")
        return ArtifactStorage::Database;
    if (v == u"disk")
        return ArtifactStorage::Disk;
    return Error::make(Error::Code::InvalidArgument,
                       QStringLiteral("%1 in %2 must be database or disk, not '%3'").arg(key, settingsFile(), v));
}

Result<qint64> Settings::artifactMaxBytes() const
{
    if (m_cli.artifactMaxBytes)
        return *m_cli.artifactMaxBytes;
    const QString key = QStringLiteral("artifacts/maxBytes");
    const QVariant saved = m_store->value(key);
    if (!saved.isValid())
        return kDefaultArtifactMaxBytes;
    bool ok = false;
    const qint64 n = saved.toString().trimmed().toLongLong(&ok);
    if (!ok || n < 0)
        return Error::make(Error::Code::InvalidArgument,
                           QStringLiteral("%1 in %2 must be a number of bytes (0 = no cap), not '%3'")
                               .arg(key, settingsFile(), saved.toString()));
    return n;
}

void Settings::sync()
{
    m_store->sync();
}

} // namespace cd::settings

// The client over https against the real server speaking TLS with a self-signed certificate made
// at test time: refused without a pin (with the fingerprint to pin), refused with a wrong pin, and
// working with the right one — for calls, event streams and artifact downloads alike.
#include "client/apiclient.h"
#include "client/artifactdownload.h"
#include "client/ssereader.h"
#include "stack.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QTemporaryDir>

#include <QCoro/QCoroTask>

#include <gtest/gtest.h>

using cd::client::ApiClient;
using cd::client::ClientConfig;
using cd::client::ClientError;
using cd::client::SseReader;
using Kind = ClientError::Kind;

namespace {

template<typename T> T finish(QCoro::Task<T> &&task)
{
    auto wrapped = [](QCoro::Task<T> t) -> QCoro::Task<std::optional<T>> { co_return co_await std::move(t); };
    return *QCoro::waitFor(wrapped(std::move(task)));
}

// A TLS stack with a self-signed certificate, its fingerprint, and a job with one artifact.
class TlsServer : public ::testing::Test
{
protected:
    void SetUp() override
    {
        QString cert, key;
        if (!cdtest::makeTestCertificate(m_certDir.path(), &cert, &key))
            GTEST_SKIP() << "\n\n*** SKIPPED: openssl is missing; TLS was NOT exercised ***\n";
        const auto certs = QSslCertificate::fromPath(cert);
        ASSERT_EQ(certs.size(), 1);
        m_sha256 = certs.first().digest(QCryptographicHash::Sha256).toHex();
        m_stack = std::make_unique<cdtest::Stack>(cdtest::StackOptions().tls(cert, key).withProfiles(
            {{QStringLiteral("writer"), QStringLiteral("sh -c 'echo hello > a.txt'")}}));
    }

    ClientConfig config(const QByteArray &pin) const
    {
        ClientConfig c;
        c.baseUrl = QUrl(QStringLiteral("https://127.0.0.1:%1").arg(m_stack->port()));
        c.token = cdtest::Stack::kToken;
        c.pinnedSha256 = pin;
        c.maxAttempts = 2;
        c.backoffBaseMs = 20;
        c.timeoutMs = 5000;
        return c;
    }

    // How an event stream over this client ended up: Connected, or the error it failed with.
    std::optional<ClientError> streamError(ApiClient &api)
    {
        SseReader reader(&api, QStringLiteral("/api/events"));
        std::optional<ClientError> failed;
        bool connected = false;
        QObject::connect(&reader, &SseReader::failed, &reader, [&](const ClientError &e) { failed = e; });
        QObject::connect(&reader, &SseReader::stateChanged, &reader,
                         [&](SseReader::State s) { connected = connected || s == SseReader::State::Connected; });
        reader.start();
        cdtest::waitUntil([&] { return connected || failed.has_value(); }, 10000);
        EXPECT_TRUE(connected || failed.has_value()) << "the stream neither connected nor failed";
        return connected ? std::nullopt : failed;
    }

    QTemporaryDir m_certDir;
    QByteArray m_sha256;
    std::unique_ptr<cdtest::Stack> m_stack;
};

} // namespace

TEST(CertificatePin, ReadsFingerprintsAsPeopleWriteThem)
{
    const QByteArray hex(64, 'a');
    EXPECT_EQ(cd::client::parsePin(QString::fromLatin1(hex)), hex);
    EXPECT_EQ(cd::client::parsePin(cd::client::displayFingerprint(hex)), hex);
    EXPECT_EQ(cd::client::parsePin(QStringLiteral(" sha256/") + QString::fromLatin1(hex).toUpper()), hex);
    EXPECT_EQ(cd::client::parsePin(QString()), QByteArray());
    EXPECT_FALSE(cd::client::parsePin(QStringLiteral("abcd")));
    EXPECT_FALSE(cd::client::parsePin(QString(64, u'g')));
    EXPECT_EQ(cd::client::displayFingerprint("0aff"), QStringLiteral("0A:FF"));
}

TEST_F(TlsServer, ASelfSignedCertificateWithoutAPinIsRefusedWithItsFingerprint)
{
    ApiClient api(config({}));
    const auto health = finish(api.health());
    ASSERT_FALSE(health);
    EXPECT_EQ(health.error().kind, Kind::Tls) << health.error().describe().toStdString();
    EXPECT_EQ(health.error().certificateSha256, m_sha256);
    const QString said = health.error().describe();
    EXPECT_TRUE(said.contains(cd::client::displayFingerprint(m_sha256))) << said.toStdString();
    EXPECT_TRUE(said.contains(QStringLiteral("not trusted"))) << said.toStdString();

    const auto stream = streamError(api);
    ASSERT_TRUE(stream);
    EXPECT_EQ(stream->kind, Kind::Tls) << stream->describe().toStdString();
}

TEST_F(TlsServer, AWrongPinIsRefusedEverywhere)
{
    ApiClient api(config(QByteArray(64, '0')));
    const auto health = finish(api.health());
    ASSERT_FALSE(health);
    EXPECT_EQ(health.error().kind, Kind::Tls);
    EXPECT_TRUE(health.error().describe().contains(QStringLiteral("not the pinned")))
        << health.error().describe().toStdString();
    EXPECT_EQ(health.error().certificateSha256, m_sha256);

    const auto stream = streamError(api);
    ASSERT_TRUE(stream);
    EXPECT_EQ(stream->kind, Kind::Tls);

    QTemporaryDir dir;
    cd::model::Artifact a;
    a.jobId = QStringLiteral("00000000-0000-0000-0000-000000000000");
    a.name = QStringLiteral("a.txt");
    a.size = 6;
    cd::client::ArtifactDownload download(&api, a, dir.filePath(QStringLiteral("a.txt")));
    const auto got = finish(download.run());
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().kind, Kind::Tls) << got.error().describe().toStdString();
}

TEST_F(TlsServer, TheRightPinWorksForCallsStreamsAndDownloads)
{
    ApiClient api(config(m_sha256));
    const auto health = finish(api.health());
    ASSERT_TRUE(health) << health.error().describe().toStdString();
    EXPECT_EQ(health->status, QStringLiteral("ok"));

    EXPECT_FALSE(streamError(api)) << "the event stream connects";

    cd::model::JobSpec spec;
    spec.params.insert(QStringLiteral("profile"), QStringLiteral("writer"));
    const auto created = finish(api.createJob(spec));
    ASSERT_TRUE(created) << created.error().describe().toStdString();
    const QString id = created->job.id;
    QList<cd::model::Artifact> artifacts;
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            const auto list = finish(api.artifacts(id));
            artifacts = list ? list.value() : QList<cd::model::Artifact>{};
            return !artifacts.isEmpty();
        },
        20000));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("a.txt"));
    cd::client::ArtifactDownload download(&api, artifacts.first(), path);
    const auto got = finish(download.run());
    ASSERT_TRUE(got) << got.error().describe().toStdString();
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    EXPECT_EQ(f.readAll(), QByteArray("hello\n"));
}

// A certificate the trusted CAs vouch for (here: made one of them) passes without a pin, and is
// still refused when another one is pinned.
TEST_F(TlsServer, APinOverridesTheCAs)
{
    const QSslConfiguration before = QSslConfiguration::defaultConfiguration();
    QSslConfiguration trusting = before;
    trusting.addCaCertificates(QSslCertificate::fromPath(m_certDir.filePath(QStringLiteral("cert.pem"))));
    QSslConfiguration::setDefaultConfiguration(trusting);
    {
        ApiClient open(config({}));
        const auto health = finish(open.health());
        EXPECT_TRUE(health) << health.error().describe().toStdString();

        ApiClient pinned(config(QByteArray(64, '1')));
        const auto refused = finish(pinned.health());
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().kind, Kind::Tls) << refused.error().describe().toStdString();
        EXPECT_EQ(refused.error().certificateSha256, m_sha256);
        EXPECT_EQ(streamError(pinned).value_or(ClientError{}).kind, Kind::Tls);
    }
    QSslConfiguration::setDefaultConfiguration(before);
}

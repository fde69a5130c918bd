#include "settings/settings.h"
#include "testutil.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace cd;

TEST(Settings, PrecedenceAndSecretsFallBackToAnOwnerOnlyFile)
{
    QTemporaryDir dir;
    QProcessEnvironment env;
    env.insert(QStringLiteral("CRAWLDECK_LISTEN"), QStringLiteral("127.0.0.1:9001"));
    settings::Overrides cli;
    {
        settings::Settings s(dir.path(), cli, env);
        EXPECT_EQ(s.listen().port, 9001); // environment over saved/default
        // An overridden setting is never saved: the setter refuses it.
        EXPECT_FALSE(s.setListen(*settings::HostPort::parse(QStringLiteral("127.0.0.1:9002"))));
        EXPECT_EQ(s.listen().port, 9001);
        EXPECT_EQ(s.localSlots(), 2);
        EXPECT_EQ(s.localProfiles().value(QStringLiteral("crawler")).left(22),
                  QStringLiteral("crawldeck worker crawl"));
        const QString token = s.apiToken();
        EXPECT_EQ(token.size(), 32);
        EXPECT_TRUE(s.apiTokenWasGenerated());
        EXPECT_EQ(QFileInfo(s.settingsFile()).permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther), 0);

        EXPECT_TRUE(s.runpodApiKey().secret.isEmpty());
        const auto where = s.setRunpodApiKey(QStringLiteral("rp-secret"));
        ASSERT_TRUE(where.ok());
        EXPECT_EQ(QFileInfo(where.value()).permissions() & ~(QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                             QFileDevice::ReadUser | QFileDevice::WriteUser),
                  0);
        EXPECT_EQ(s.runpodApiKey().secret, QStringLiteral("rp-secret"));
        EXPECT_EQ(s.runpodApiKey().origin, where.value());
    }
    cli.listen = QStringLiteral("127.0.0.1:9003");
    cli.localProfiles.insert(QStringLiteral("scrapy"), QStringLiteral("scrapy crawl x"));
    env.insert(QStringLiteral("RUNPOD_API_KEY"), QStringLiteral("from-env"));
    settings::Settings again(dir.path(), cli, env);
    EXPECT_EQ(again.listen().port, 9003);       // command line over everything
    EXPECT_FALSE(again.apiTokenWasGenerated()); // saved on first run, reused
    EXPECT_EQ(again.localProfiles().value(QStringLiteral("scrapy")), QStringLiteral("scrapy crawl x"));
    EXPECT_EQ(again.runpodApiKey().secret, QStringLiteral("from-env"));
    EXPECT_FALSE(again.setListen(*settings::HostPort::parse(QStringLiteral("127.0.0.1:9004"))));
    EXPECT_FALSE(again.setRunpodApiKey(QStringLiteral("not-saved")).ok());
    settings::Settings noEnv(dir.path(), {}, QProcessEnvironment());
    EXPECT_EQ(noEnv.listen().port, 8000); // nothing was saved while it was overridden
    EXPECT_TRUE(noEnv.setListen(*settings::HostPort::parse(QStringLiteral("127.0.0.1:9002"))));
    noEnv.sync();
    EXPECT_EQ(settings::Settings(dir.path(), {}, QProcessEnvironment()).listen().port, 9002); // saved over default
    EXPECT_EQ(noEnv.runpodApiKey().secret, QStringLiteral("rp-secret"));
}

// Issue 8: profiles were saved as a binary @Variant blob no operator could edit.
TEST(Bug, ProfilesAreSavedAsTextAnOperatorCanEdit)
{
    QTemporaryDir dir;
    const QString cmd = QStringLiteral(R"(sh -c 'echo "a, b" > {output_dir}/x.txt')");
    {
        settings::Settings s(dir.path(), {}, QProcessEnvironment());
        s.setLocalProfiles(
            {{QStringLiteral("scrapy"), QStringLiteral("scrapy crawl x")}, {QStringLiteral("quoted"), cmd}});
        s.sync();
    }
    QFile ini(dir.path() + QStringLiteral("/crawldeck.ini"));
    ASSERT_TRUE(ini.open(QIODevice::ReadOnly));
    QByteArray text = ini.readAll();
    ini.close();
    EXPECT_FALSE(text.contains("@Variant")) << text.toStdString();
    EXPECT_TRUE(text.contains("[profiles]\n")) << text.toStdString();
    EXPECT_TRUE(text.contains("\nscrapy=scrapy crawl x\n")) << text.toStdString();

    // An operator edits the file by hand: changes one command, adds another.
    text.replace("scrapy=scrapy crawl x", "scrapy=scrapy crawl y -a depth=2\npy=python3 /opt/w.py {params_file}");
    ASSERT_TRUE(ini.open(QIODevice::WriteOnly | QIODevice::Truncate));
    ini.write(text);
    ini.close();
    const auto read = settings::Settings(dir.path(), {}, QProcessEnvironment()).localProfiles();
    EXPECT_EQ(read.value(QStringLiteral("scrapy")), QStringLiteral("scrapy crawl y -a depth=2"));
    EXPECT_EQ(read.value(QStringLiteral("py")), QStringLiteral("python3 /opt/w.py {params_file}"));
    EXPECT_EQ(read.value(QStringLiteral("quoted")), cmd); // quotes and commas survive the round trip

    // The old blob is read once and rewritten as text.
    QTemporaryDir old;
    {
        QSettings legacy(old.path() + QStringLiteral("/crawldeck.ini"), QSettings::IniFormat);
        legacy.setValue(QStringLiteral("local/profiles"),
                        QVariantMap{{QStringLiteral("legacy"), QStringLiteral("echo from the old format")}});
    }
    EXPECT_EQ(settings::Settings(old.path(), {}, QProcessEnvironment()).localProfiles().value(QStringLiteral("legacy")),
              QStringLiteral("echo from the old format"));
    QFile migrated(old.path() + QStringLiteral("/crawldeck.ini"));
    ASSERT_TRUE(migrated.open(QIODevice::ReadOnly));
    const QByteArray after = migrated.readAll();
    EXPECT_FALSE(after.contains("@Variant")) << after.toStdString();
    EXPECT_TRUE(after.contains("legacy=echo from the old format")) << after.toStdString();
}

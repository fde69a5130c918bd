#include "settingsdialog.h"

#include "runners/runpodclient.h"
#include "settings/settings.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHostAddress>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace cd::ui {

namespace {
QWidget *secretRow(QLineEdit *edit, QWidget *parent, const std::function<QString()> &regenerate = {})
{
    auto *w = new QWidget(parent);
    auto *l = new QHBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    edit->setEchoMode(QLineEdit::Password);
    edit->setReadOnly(true);
    auto *show = new QPushButton(QObject::tr("Show"), w);
    show->setCheckable(true);
    QObject::connect(show, &QPushButton::toggled, edit,
                     [edit](bool on) { edit->setEchoMode(on ? QLineEdit::Normal : QLineEdit::Password); });
    auto *copy = new QPushButton(QObject::tr("Copy"), w);
    QObject::connect(copy, &QPushButton::clicked, edit, [edit] { QApplication::clipboard()->setText(edit->text()); });
    l->addWidget(edit, 1);
    l->addWidget(show);
    l->addWidget(copy);
    if (regenerate) {
        auto *regen = new QPushButton(QObject::tr("Regenerate"), w);
        QObject::connect(regen, &QPushButton::clicked, edit, [edit, regenerate] { edit->setText(regenerate()); });
        l->addWidget(regen);
    }
    return w;
}
} // namespace

SettingsDialog::SettingsDialog(settings::Settings *settings, QWidget *parent) : QDialog(parent), m_settings(settings)
{
    setWindowTitle(tr("Settings"));
    setMinimumWidth(640);
    auto *tabs = new QTabWidget(this);

    auto *server = new QWidget(tabs);
    auto *sf = new QFormLayout(server);
    m_host = new QLineEdit(server);
    m_port = new QSpinBox(server);
    m_port->setRange(0, 65535);
    auto *listenRow = new QHBoxLayout;
    listenRow->addWidget(m_host, 1);
    listenRow->addWidget(new QLabel(QStringLiteral(":"), server));
    listenRow->addWidget(m_port);
    sf->addRow(tr("Listen on:"), noted(settings::Setting::Listen, listenRow));
    m_publicUrl = new QLineEdit(server);
    m_publicUrl->setPlaceholderText(tr("https://crawldeck.example.com — how RunPod workers reach this server"));
    sf->addRow(tr("Public URL:"), noted(settings::Setting::PublicUrl, m_publicUrl));
    m_token = new QLineEdit(server);
    sf->addRow(tr("API token:"), noted(settings::Setting::ApiToken, secretRow(m_token, server, [this] {
                                           return m_settings->regenerateApiToken();
                                       })));
    m_callbackKey = new QLineEdit(server);
    sf->addRow(tr("Callback key:"), noted(settings::Setting::CallbackKey, secretRow(m_callbackKey, server, [this] {
                                              return m_settings->regenerateCallbackKey();
                                          })));
    m_trustLoopback =
        new QCheckBox(tr("Trust same-machine clients: they may read jobs and post logs without a token"), server);
    // Why it is off by default, where the operator decides.
    m_trustLoopback->setToolTip(tr("Only for a single-user machine. Behind a reverse proxy every request comes from "
                                   "this machine, so this would let anyone reach your jobs, logs and results."));
    sf->addRow(QString(), noted(settings::Setting::TrustLoopback, m_trustLoopback));
    m_closeToTray = new QCheckBox(tr("Closing the window keeps Crawldeck running in the tray"), server);
    sf->addRow(QString(), m_closeToTray);
    tabs->addTab(server, tr("Server"));

    auto *local = new QWidget(tabs);
    auto *lv = new QVBoxLayout(local);
    auto *lf = new QFormLayout;
    m_localSlots = new QSpinBox(local);
    m_localSlots->setRange(1, 1000);
    lf->addRow(tr("Jobs at once:"), noted(settings::Setting::LocalSlots, m_localSlots));
    lv->addLayout(lf);
    lv->addWidget(new QLabel(tr("Command profiles (placeholders: {job_id} {output_dir} {params_file}):"), local));
    m_profiles = new QTableWidget(0, 2, local);
    m_profiles->setHorizontalHeaderLabels({tr("Name"), tr("Command")});
    m_profiles->horizontalHeader()->setStretchLastSection(true);
    m_profiles->verticalHeader()->hide();
    m_profiles->setColumnWidth(0, 120);
    lv->addWidget(m_profiles);
    auto *pb = new QHBoxLayout;
    auto *add = new QPushButton(tr("Add"), local);
    auto *remove = new QPushButton(tr("Remove"), local);
    pb->addWidget(add);
    pb->addWidget(remove);
    pb->addStretch(1);
    lv->addLayout(pb);
    connect(add, &QPushButton::clicked, this, [this] {
        const int r = m_profiles->rowCount();
        m_profiles->insertRow(r);
        m_profiles->setItem(r, 0, new QTableWidgetItem(QStringLiteral("profile%1").arg(r + 1)));
        m_profiles->setItem(r, 1, new QTableWidgetItem());
        m_profiles->editItem(m_profiles->item(r, 1));
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        const int r = m_profiles->currentRow();
        // A profile from the command line is not ours to remove: it would come back at the next start.
        if (r >= 0 && !m_profiles->item(r, 0)->data(Qt::UserRole).toBool())
            m_profiles->removeRow(r);
    });
    tabs->addTab(local, tr("Local"));

    auto *runpod = new QWidget(tabs);
    auto *rf = new QFormLayout(runpod);
    m_runpodKey = new QLineEdit(runpod);
    m_runpodKey->setEchoMode(QLineEdit::Password);
    m_runpodKey->setPlaceholderText(tr("stored in the keychain"));
    connect(m_runpodKey, &QLineEdit::textEdited, this, [this] { m_keyEdited = true; });
    rf->addRow(tr("API key:"), noted(settings::Setting::RunpodApiKey, m_runpodKey));
    m_endpoint = new QLineEdit(runpod);
    m_endpoint->setPlaceholderText(QStringLiteral("https://api.runpod.ai/v2/<endpoint_id>"));
    rf->addRow(tr("Serverless endpoint URL:"), noted(settings::Setting::RunpodEndpoint, m_endpoint));
    m_podUrl = new QLineEdit(runpod);
    m_podUrl->setPlaceholderText(QStringLiteral("https://<pod-id>-8000.proxy.runpod.net"));
    rf->addRow(tr("Pod worker URL:"), noted(settings::Setting::RunpodPodUrl, m_podUrl));
    m_runpodSlots = new QSpinBox(runpod);
    m_runpodSlots->setRange(1, 1000);
    rf->addRow(tr("Jobs in flight:"), noted(settings::Setting::RunpodSlots, m_runpodSlots));
    auto *test = new QPushButton(tr("Test connection"), runpod);
    m_testResult = new QLabel(runpod);
    m_testResult->setWordWrap(true);
    rf->addRow(test, m_testResult);
    connect(test, &QPushButton::clicked, this, [this] { testRunPod(); });
    tabs->addTab(runpod, tr("RunPod"));

    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #c0302f"));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        const QString err = save();
        m_error->setText(err);
        if (err.isEmpty())
            accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(tabs);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    load();
}

QWidget *SettingsDialog::noted(settings::Setting setting, QWidget *field)
{
    auto *row = new QWidget(this);
    auto *l = new QHBoxLayout(row);
    l->setContentsMargins(0, 0, 0, 0);
    l->addWidget(field, 1);
    auto *note = new QLabel(row);
    note->setVisible(false);
    l->addWidget(note);
    m_notes.insert(setting, note);
    m_fields.insert(setting, field);
    return row;
}

QWidget *SettingsDialog::noted(settings::Setting setting, QLayout *fields)
{
    auto *w = new QWidget(this);
    fields->setContentsMargins(0, 0, 0, 0);
    w->setLayout(fields);
    return noted(setting, w);
}

bool SettingsDialog::overridden(settings::Setting setting) const
{
    return !m_settings->overriddenBy(setting).isEmpty();
}

QString SettingsDialog::overrideNote(settings::Setting setting) const
{
    const QLabel *note = m_notes.value(setting);
    return note ? note->text() : QString();
}

void SettingsDialog::load()
{
    const auto hp = m_settings->listen();
    m_host->setText(hp.host);
    m_port->setValue(hp.port);
    m_publicUrl->setText(m_settings->publicUrl());
    m_token->setText(m_settings->apiToken());
    m_callbackKey->setText(m_settings->callbackKey());
    m_trustLoopback->setChecked(m_settings->trustLoopback());
    m_closeToTray->setChecked(m_settings->closeToTray());
    m_localSlots->setValue(m_settings->localSlots());
    const auto profiles = m_settings->localProfiles();
    m_profiles->setRowCount(0);
    for (auto it = profiles.cbegin(); it != profiles.cend(); ++it) {
        const int r = m_profiles->rowCount();
        m_profiles->insertRow(r);
        m_profiles->setItem(r, 0, new QTableWidgetItem(it.key()));
        m_profiles->setItem(r, 1, new QTableWidgetItem(it.value()));
    }
    const auto key = m_settings->runpodApiKey();
    m_runpodKey->setText(key.secret);
    if (!key.origin.isEmpty())
        m_runpodKey->setToolTip(tr("from %1").arg(key.origin));
    m_endpoint->setText(m_settings->runpodEndpoint());
    m_podUrl->setText(m_settings->runpodPodUrl());
    m_runpodSlots->setValue(m_settings->runpodSlots());

    // What the command line or the environment sets is shown as in effect, read-only, with the
    // reason: editing it here could not take effect, and saving it would store the override.
    for (auto it = m_notes.cbegin(); it != m_notes.cend(); ++it) {
        const QString by = m_settings->overriddenBy(it.key());
        QWidget *field = m_fields.value(it.key());
        it.value()->setText(by.isEmpty() ? QString() : tr("set by %1").arg(by));
        it.value()->setVisible(!by.isEmpty());
        field->setEnabled(by.isEmpty());
        if (!by.isEmpty())
            field->setToolTip(tr("Set by %1, which overrides the saved setting: change it there.").arg(by));
    }
    for (int r = 0; r < m_profiles->rowCount(); ++r) {
        const QString by = m_settings->profileOverriddenBy(m_profiles->item(r, 0)->text());
        if (by.isEmpty())
            continue;
        for (int c = 0; c < 2; ++c) {
            QTableWidgetItem *item = m_profiles->item(r, c);
            item->setFlags(item->flags() & ~Qt::ItemIsEditable);
            item->setData(Qt::UserRole, true);
            item->setToolTip(tr("set by %1").arg(by));
        }
    }
}

QString SettingsDialog::validate() const
{
    // Overridden values are not saved, so they are not ours to judge either.
    if (!overridden(settings::Setting::Listen) && QHostAddress(m_host->text()).isNull() &&
        m_host->text() != u"localhost")
        return tr("Listen address must be an IP address (e.g. 127.0.0.1 or 0.0.0.0).");
    for (const auto &[setting, e] : {std::pair{settings::Setting::PublicUrl, m_publicUrl},
                                     std::pair{settings::Setting::RunpodEndpoint, m_endpoint},
                                     std::pair{settings::Setting::RunpodPodUrl, m_podUrl}}) {
        if (e->text().isEmpty() || overridden(setting))
            continue;
        const QUrl u(e->text(), QUrl::StrictMode);
        if (!u.isValid() || (u.scheme() != u"http" && u.scheme() != u"https") || u.host().isEmpty())
            return tr("'%1' is not an http(s) URL.").arg(e->text());
    }
    for (int r = 0; r < m_profiles->rowCount(); ++r) {
        const QString name = m_profiles->item(r, 0) ? m_profiles->item(r, 0)->text().trimmed() : QString();
        const QString cmd = m_profiles->item(r, 1) ? m_profiles->item(r, 1)->text().trimmed() : QString();
        if (name.isEmpty() || cmd.isEmpty())
            return tr("Every profile needs a name and a command (row %1).").arg(r + 1);
    }
    return {};
}

QString SettingsDialog::save()
{
    if (const QString err = validate(); !err.isEmpty())
        return err;
    // The setters save nothing for a setting the command line or the environment overrides.
    m_settings->setListen({m_host->text(), static_cast<quint16>(m_port->value())});
    m_settings->setPublicUrl(m_publicUrl->text());
    m_settings->setTrustLoopback(m_trustLoopback->isChecked());
    m_settings->setCloseToTray(m_closeToTray->isChecked());
    m_settings->setLocalSlots(m_localSlots->value());
    QMap<QString, QString> profiles;
    for (int r = 0; r < m_profiles->rowCount(); ++r)
        if (!m_profiles->item(r, 0)->data(Qt::UserRole).toBool())
            profiles.insert(m_profiles->item(r, 0)->text().trimmed(), m_profiles->item(r, 1)->text().trimmed());
    m_settings->setLocalProfiles(profiles);
    m_settings->setRunpodEndpoint(m_endpoint->text());
    m_settings->setRunpodPodUrl(m_podUrl->text());
    m_settings->setRunpodSlots(m_runpodSlots->value());
    if (m_keyEdited) {
        const auto where = m_settings->setRunpodApiKey(m_runpodKey->text());
        if (!where)
            return where.error().detail;
    }
    m_settings->sync();
    return {};
}

void SettingsDialog::testRunPod()
{
    const QUrl base(m_endpoint->text());
    if (!base.isValid() || base.host().isEmpty()) {
        m_testResult->setText(tr("Enter the serverless endpoint URL first."));
        return;
    }
    m_testResult->setText(tr("Asking RunPod…"));
    auto *nam = new QNetworkAccessManager(this);
    runners::RunPodClientConfig cfg;
    cfg.base = base;
    cfg.apiKey = m_runpodKey->text();
    cfg.timeoutMs = 10000;
    cfg.maxAttempts = 2;
    auto *client = new runners::RunPodClient(cfg, nam, nam);
    QCoro::connect(client->health(), this, [this, nam](const runners::RunPodReply &r) {
        nam->deleteLater();
        if (r.error) {
            m_testResult->setText(QStringLiteral("✖ ") + r.error->describe());
            return;
        }
        const QJsonObject w = r.body.value(QStringLiteral("workers")).toObject();
        const QJsonObject j = r.body.value(QStringLiteral("jobs")).toObject();
        m_testResult->setText(tr("✔ workers: %1 idle, %2 running, %3 throttled · jobs: %4 queued, %5 in progress, %6 "
                                 "completed, %7 failed")
                                  .arg(w.value(QStringLiteral("idle")).toInt())
                                  .arg(w.value(QStringLiteral("running")).toInt())
                                  .arg(w.value(QStringLiteral("throttled")).toInt())
                                  .arg(j.value(QStringLiteral("inQueue")).toInt())
                                  .arg(j.value(QStringLiteral("inProgress")).toInt())
                                  .arg(j.value(QStringLiteral("completed")).toInt())
                                  .arg(j.value(QStringLiteral("failed")).toInt()));
    });
}

} // namespace cd::ui

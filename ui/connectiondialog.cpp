#include "connectiondialog.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace cd::ui {

using settings::SavedConnection;

ConnectionDialog::ConnectionDialog(const settings::ConnectionList *connections, std::optional<SavedConnection> editing,
                                   QWidget *parent)
    : QDialog(parent), m_connections(connections), m_editing(std::move(editing))
{
    setWindowTitle(m_editing ? tr("Edit connection") : tr("Add connection"));
    setMinimumWidth(560);
    m_name = new QLineEdit(this);
    m_name->setPlaceholderText(tr("Production"));
    m_url = new QLineEdit(this);
    m_url->setPlaceholderText(tr("https://crawl.example.org:8000"));
    m_token = new QLineEdit(this);
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(m_editing ? tr("unchanged") : tr("the server's API token (crawldeck token)"));
    m_pin = new QLineEdit(this);
    m_pin->setPlaceholderText(tr("optional: SHA-256 of the server's certificate (AB:CD:…)"));
    m_pin->setToolTip(tr("Empty: the certificate must be signed by a CA this system trusts.\n"
                         "Set: the server must show exactly this certificate (self-signed ones included)."));
    if (m_editing) {
        m_name->setText(m_editing->name);
        m_url->setText(m_editing->url.toString());
        m_pin->setText(client::displayFingerprint(m_editing->pinnedSha256));
    }

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&URL:"), m_url);
    form->addRow(tr("&Token:"), m_token);
    form->addRow(tr("&Pinned certificate:"), m_pin);

    auto *keychain = new QLabel(this);
    keychain->setWordWrap(true);
    keychain->setTextFormat(Qt::PlainText);
    if (!m_connections->keychainAnswers()) {
        keychain->setText(tr("No desktop keychain answered: the token is kept in a file only you can read (mode "
                             "0600) under %1.")
                              .arg(QFileInfo(m_connections->file()).absolutePath()));
        keychain->setStyleSheet(QStringLiteral("color:#9a6700"));
    } else {
        keychain->setText(tr("The token is kept in the desktop keychain."));
    }

    m_testButton = new QPushButton(tr("&Test"), this);
    m_trust = new QPushButton(this);
    m_trust->hide();
    m_result = new QLabel(this);
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errors = new QLabel(this);
    m_errors->setWordWrap(true);
    m_errors->setStyleSheet(QStringLiteral("color:#c0302f"));
    m_errors->hide();
    connect(m_testButton, &QPushButton::clicked, this, &ConnectionDialog::test);
    connect(m_trust, &QPushButton::clicked, this, [this] {
        m_pin->setText(client::displayFingerprint(m_offeredPin));
        m_trust->hide();
        test();
    });
    auto *testRow = new QHBoxLayout;
    testRow->addWidget(m_testButton);
    testRow->addWidget(m_trust);
    testRow->addStretch(1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(keychain);
    layout->addLayout(testRow);
    layout->addWidget(m_result);
    layout->addWidget(m_errors);
    layout->addStretch(1);
    layout->addWidget(buttons);
}

std::optional<QUrl> ConnectionDialog::serverUrl(const QString &text, QString *problem)
{
    QString t = text.trimmed();
    if (t.isEmpty()) {
        *problem = tr("The URL is missing.");
        return std::nullopt;
    }
    // No scheme: TLS, the safe guess for a server reached over a network.
    if (!t.contains(QStringLiteral("://")))
        t.prepend(QStringLiteral("https://"));
    const QUrl url(t, QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty()) {
        *problem = tr("“%1” is not an http:// or https:// server URL.").arg(text.trimmed());
        return std::nullopt;
    }
    if (!url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment()) {
        *problem = tr("The URL must not carry a user, a query or a fragment (the token has its own field).");
        return std::nullopt;
    }
    return url;
}

QStringList ConnectionDialog::problems() const
{
    QStringList out;
    const QString name = m_name->text().trimmed();
    if (name.isEmpty())
        out << tr("The name is missing.");
    for (const SavedConnection &c : m_connections->all())
        if (!name.isEmpty() && c.name.compare(name, Qt::CaseInsensitive) == 0 && (!m_editing || c.id != m_editing->id))
            out << tr("Another connection is already called “%1”.").arg(name);
    QString problem;
    const auto url = serverUrl(m_url->text(), &problem);
    if (!url) {
        out << problem;
    } else if (const auto same = m_connections->findByUrl(*url); same && (!m_editing || same->id != m_editing->id)) {
        out << tr("“%1” already connects to %2.").arg(same->name, url->toDisplayString());
    }
    if (!m_editing && m_token->text().trimmed().isEmpty())
        out << tr("The token is missing.");
    const auto pin = client::parsePin(m_pin->text());
    if (!pin)
        out << tr("The pinned certificate is not a SHA-256 fingerprint (64 hex digits).");
    else if (!pin->isEmpty() && url && url->scheme() != u"https")
        out << tr("A pinned certificate needs an https:// URL.");
    return out;
}

SavedConnection ConnectionDialog::connection() const
{
    SavedConnection c;
    if (m_editing)
        c.id = m_editing->id;
    c.name = m_name->text().trimmed();
    QString ignored;
    c.url = serverUrl(m_url->text(), &ignored).value_or(QUrl());
    c.pinnedSha256 = client::parsePin(m_pin->text()).value_or(QByteArray());
    return c;
}

std::optional<QByteArray> ConnectionDialog::token() const
{
    const QString t = m_token->text().trimmed();
    if (t.isEmpty() && m_editing)
        return std::nullopt;
    return t.toUtf8();
}

QString ConnectionDialog::testResult() const
{
    return m_result->text();
}

QString ConnectionDialog::errorText() const
{
    return m_errors->isVisible() ? m_errors->text() : QString();
}

void ConnectionDialog::showProblems(const QStringList &problems)
{
    QStringList lines;
    for (const QString &p : problems)
        lines << QStringLiteral("• ") + p.toHtmlEscaped();
    m_errors->setText(lines.join(QStringLiteral("<br>")));
    m_errors->setVisible(!problems.isEmpty());
}

void ConnectionDialog::test()
{
    QString problem;
    const auto url = serverUrl(m_url->text(), &problem);
    const auto pin = client::parsePin(m_pin->text());
    if (!url || !pin) {
        showProblems(problems());
        return;
    }
    client::ClientConfig config;
    config.baseUrl = *url;
    config.pinnedSha256 = *pin;
    config.token = token().value_or(m_editing ? m_connections->token(m_editing->id).secret.toUtf8() : QByteArray());
    m_result->setStyleSheet(QString());
    m_result->setText(tr("Asking %1…").arg(url->toDisplayString()));
    m_trust->hide();
    m_testButton->setEnabled(false);
    const int round = ++m_testRound;
    probeConnection(config, true, this, [this, round](const ConnectionHealth &h) {
        if (round != m_testRound)
            return; // a later test was started
        m_testButton->setEnabled(true);
        showTest(h);
    });
}

void ConnectionDialog::showTest(const ConnectionHealth &h)
{
    const bool ok = h.state == ConnectionHealth::State::Reachable && h.tokenAccepted;
    QStringList lines;
    if (h.state == ConnectionHealth::State::Reachable) {
        lines << tr("✔ Reachable: Crawldeck %1 · %2 queued · %3 running").arg(h.version).arg(h.queued).arg(h.running);
        lines << (h.tokenAccepted ? tr("✔ The token is accepted.") : tr("✘ %1").arg(h.tokenError));
    } else {
        lines << tr("✘ %1").arg(h.summary());
    }
    m_result->setText(lines.join(u'\n'));
    m_result->setStyleSheet(ok ? QStringLiteral("color:#2d7a3e") : QStringLiteral("color:#c0302f"));
    m_offeredPin = h.certificateSha256;
    if (!m_offeredPin.isEmpty()) {
        m_trust->setText(tr("Trust this certificate (%1…)").arg(client::displayFingerprint(m_offeredPin).left(23)));
        m_trust->show();
    }
    Q_EMIT testFinished(ok);
}

void ConnectionDialog::accept()
{
    const QStringList p = problems();
    showProblems(p);
    if (p.isEmpty())
        QDialog::accept();
}

} // namespace cd::ui

#include "tokenprompt.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace cd::ui {

TokenPrompt::TokenPrompt(const QString &server, const QString &why, bool saved, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Token refused"));
    setMinimumWidth(460);
    QString text = tr("<b>%1 refused the API token.</b><br>%2<br><br>Enter the server's token (<code>crawldeck "
                      "token</code> on the server prints it).")
                       .arg(server.toHtmlEscaped(), why.toHtmlEscaped());
    if (saved)
        text += tr(" Once the server accepts it, it replaces the saved one.");
    auto *label = new QLabel(text, this);
    label->setWordWrap(true);
    m_token = new QLineEdit(this);
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("API token"));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    connect(m_token, &QLineEdit::textChanged, this,
            [this, buttons] { buttons->button(QDialogButtonBox::Ok)->setEnabled(!token().isEmpty()); });
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(label);
    layout->addWidget(m_token);
    layout->addWidget(buttons);
}

QByteArray TokenPrompt::token() const
{
    return m_token->text().trimmed().toUtf8();
}

} // namespace cd::ui

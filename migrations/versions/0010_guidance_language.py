"""what to bring and guidance links per language: the shipped defaults in every shipped language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:00:00.000000

``bring_advice`` is keyed by (topic, language) and ``guidance_link`` gets a language;
existing rows are English.  The 0006 defaults are added in Welsh, Polish, Romanian, Urdu
and Arabic, written here (not read from the app) like 0006's, for each topic whose English
text is still the 0006 default: a topic a coordinator has already rewritten keeps only its
English text, so no household is told something the coordinator took back; its other
languages fall back to English until someone writes them.

Downgrade keeps the English rows and drops the others (the old schema has one text per
topic, and a link in another language would be sent to English households).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# 0006's English defaults: a translation is added only where the English text is still this.
ENGLISH = {
    'general': "Your child's phone, tablet or games console, charged",
    'iphone-ipad': (
        "Your Apple ID and its password (the one that set up Family Sharing, if you use it)\n"
        "Your child's Apple ID and its password\n"
        "The Screen Time passcode, if one is already set on your child's iPhone or iPad"
    ),
    'android': (
        "Your Google account and its password, for Google Family Link\n"
        "Your child's Google account and its password"
    ),
    'consoles': (
        "The email address and password of the console's family account: PlayStation "
        "Network, Microsoft account (Xbox) or Nintendo Account"
    ),
    'discord': "Your child's Discord login: their email address or phone number, and password",
    'tiktok': (
        "Your child's TikTok login\n"
        "Your own phone with TikTok on it, to link the accounts (Family Pairing)"
    ),
    'roblox': "Your child's Roblox username and password",
    'youtube': "The Google account your child uses for YouTube, and its password",
    'snapchat': (
        "Your child's Snapchat login\n"
        "Your own phone with Snapchat on it, for Family Centre"
    ),
    'instagram': (
        "Your child's Instagram login\n"
        "Your own phone with Instagram on it, to set up supervision"
    ),
    'home-broadband': (
        "The admin password of your home broadband router (it is often on a sticker on the "
        "router), or the login for your broadband account"
    ),
}

# The same lines in each shipped language (product and feature names as the device or app
# shows them in that language, or in English where it has no translation).
BRING = {
    'cy': {
        'general': "Ffôn, llechen neu gonsol gemau eich plentyn, wedi'u gwefru",
        'iphone-ipad': (
            "Eich Apple ID a'i gyfrinair (yr un a sefydlodd Family Sharing, os ydych yn ei ddefnyddio)\n"
            "Apple ID eich plentyn a'i gyfrinair\n"
            "Cod pas Screen Time, os oes un wedi'i osod yn barod ar iPhone neu iPad eich plentyn"
        ),
        'android': (
            "Eich cyfrif Google a'i gyfrinair, ar gyfer Google Family Link\n"
            "Cyfrif Google eich plentyn a'i gyfrinair"
        ),
        'consoles': (
            "Cyfeiriad e-bost a chyfrinair cyfrif teulu'r consol: PlayStation Network, "
            "cyfrif Microsoft (Xbox) neu Nintendo Account"
        ),
        'discord': (
            "Manylion mewngofnodi Discord eich plentyn: eu cyfeiriad e-bost neu eu rhif ffôn, "
            "a'u cyfrinair"
        ),
        'tiktok': (
            "Manylion mewngofnodi TikTok eich plentyn\n"
            "Eich ffôn eich hun gyda TikTok arno, i gysylltu'r cyfrifon (Family Pairing)"
        ),
        'roblox': "Enw defnyddiwr a chyfrinair Roblox eich plentyn",
        'youtube': "Y cyfrif Google y mae eich plentyn yn ei ddefnyddio ar gyfer YouTube, a'i gyfrinair",
        'snapchat': (
            "Manylion mewngofnodi Snapchat eich plentyn\n"
            "Eich ffôn eich hun gyda Snapchat arno, ar gyfer Family Centre"
        ),
        'instagram': (
            "Manylion mewngofnodi Instagram eich plentyn\n"
            "Eich ffôn eich hun gydag Instagram arno, i osod goruchwyliaeth"
        ),
        'home-broadband': (
            "Cyfrinair gweinyddwr llwybrydd band eang eich cartref (mae'n aml ar sticer ar y "
            "llwybrydd), neu'r manylion mewngofnodi ar gyfer eich cyfrif band eang"
        ),
    },
    'pl': {
        'general': "Naładowany telefon, tablet lub konsolę do gier dziecka",
        'iphone-ipad': (
            "Twój Apple ID i hasło do niego (ten, którym skonfigurowano Chmurę rodzinną, jeśli z niej korzystasz)\n"
            "Apple ID dziecka i hasło do niego\n"
            "Kod Czasu przed ekranem, jeśli jest już ustawiony na iPhonie lub iPadzie dziecka"
        ),
        'android': (
            "Twoje konto Google i hasło do niego, do Google Family Link\n"
            "Konto Google dziecka i hasło do niego"
        ),
        'consoles': (
            "Adres e-mail i hasło konta rodzinnego konsoli: PlayStation Network, konto "
            "Microsoft (Xbox) lub konto Nintendo"
        ),
        'discord': "Dane logowania dziecka do Discorda: adres e-mail lub numer telefonu i hasło",
        'tiktok': (
            "Dane logowania dziecka do TikToka\n"
            "Twój własny telefon z TikTokiem, aby połączyć konta (Family Pairing)"
        ),
        'roblox': "Nazwa użytkownika i hasło dziecka do Robloxa",
        'youtube': "Konto Google, którego dziecko używa w YouTube, i hasło do niego",
        'snapchat': (
            "Dane logowania dziecka do Snapchata\n"
            "Twój własny telefon ze Snapchatem, do Family Center"
        ),
        'instagram': (
            "Dane logowania dziecka do Instagrama\n"
            "Twój własny telefon z Instagramem, aby włączyć nadzór"
        ),
        'home-broadband': (
            "Hasło administratora domowego routera (często jest na naklejce na routerze) "
            "lub dane logowania do konta u dostawcy internetu"
        ),
    },
    'ro': {
        'general': "Telefonul, tableta sau consola de jocuri a copilului, încărcate",
        'iphone-ipad': (
            "ID-ul dvs. Apple și parola lui (cel cu care ați configurat Partajarea familială, dacă o folosiți)\n"
            "ID-ul Apple al copilului și parola lui\n"
            "Codul pentru Timp de utilizare, dacă este deja setat pe iPhone-ul sau iPad-ul copilului"
        ),
        'android': (
            "Contul dvs. Google și parola lui, pentru Google Family Link\n"
            "Contul Google al copilului și parola lui"
        ),
        'consoles': (
            "Adresa de e-mail și parola contului de familie al consolei: PlayStation Network, "
            "cont Microsoft (Xbox) sau cont Nintendo"
        ),
        'discord': (
            "Datele de conectare ale copilului la Discord: adresa de e-mail sau numărul de "
            "telefon și parola"
        ),
        'tiktok': (
            "Datele de conectare ale copilului la TikTok\n"
            "Propriul dvs. telefon, cu TikTok instalat, pentru a lega conturile (Family Pairing)"
        ),
        'roblox': "Numele de utilizator și parola copilului pentru Roblox",
        'youtube': "Contul Google pe care copilul îl folosește pentru YouTube și parola lui",
        'snapchat': (
            "Datele de conectare ale copilului la Snapchat\n"
            "Propriul dvs. telefon, cu Snapchat instalat, pentru Family Center"
        ),
        'instagram': (
            "Datele de conectare ale copilului la Instagram\n"
            "Propriul dvs. telefon, cu Instagram instalat, pentru a configura supravegherea"
        ),
        'home-broadband': (
            "Parola de administrator a routerului de acasă (de multe ori este pe o etichetă "
            "lipită pe router) sau datele de conectare la contul de internet"
        ),
    },
    'ur': {
        'general': "آپ کے بچے کا فون، ٹیبلیٹ یا گیمز کنسول، چارج کیا ہوا",
        'iphone-ipad': (
            "آپ کی Apple ID اور اس کا پاس ورڈ (وہی جس سے Family Sharing سیٹ اپ کی گئی، اگر آپ اسے استعمال کرتے ہیں)\n"
            "آپ کے بچے کی Apple ID اور اس کا پاس ورڈ\n"
            "Screen Time کا پاس کوڈ، اگر آپ کے بچے کے iPhone یا iPad پر پہلے سے لگا ہوا ہے"
        ),
        'android': (
            "آپ کا Google اکاؤنٹ اور اس کا پاس ورڈ، Google Family Link کے لیے\n"
            "آپ کے بچے کا Google اکاؤنٹ اور اس کا پاس ورڈ"
        ),
        'consoles': (
            "کنسول کے فیملی اکاؤنٹ کا ای میل ایڈریس اور پاس ورڈ: PlayStation Network، "
            "Microsoft اکاؤنٹ (Xbox) یا Nintendo Account"
        ),
        'discord': "آپ کے بچے کا Discord لاگ ان: اس کا ای میل ایڈریس یا فون نمبر، اور پاس ورڈ",
        'tiktok': (
            "آپ کے بچے کا TikTok لاگ ان\n"
            "آپ کا اپنا فون جس پر TikTok ہو، اکاؤنٹس کو جوڑنے کے لیے (Family Pairing)"
        ),
        'roblox': "آپ کے بچے کا Roblox یوزر نیم اور پاس ورڈ",
        'youtube': "وہ Google اکاؤنٹ جو آپ کا بچہ YouTube کے لیے استعمال کرتا ہے، اور اس کا پاس ورڈ",
        'snapchat': (
            "آپ کے بچے کا Snapchat لاگ ان\n"
            "آپ کا اپنا فون جس پر Snapchat ہو، Family Centre کے لیے"
        ),
        'instagram': (
            "آپ کے بچے کا Instagram لاگ ان\n"
            "آپ کا اپنا فون جس پر Instagram ہو، نگرانی (supervision) سیٹ اپ کرنے کے لیے"
        ),
        'home-broadband': (
            "گھر کے براڈبینڈ راؤٹر کا ایڈمن پاس ورڈ (یہ اکثر راؤٹر پر لگے اسٹیکر پر ہوتا ہے)، "
            "یا آپ کے براڈبینڈ اکاؤنٹ کا لاگ ان"
        ),
    },
    'ar': {
        'general': "هاتف طفلك أو جهازه اللوحي أو جهاز الألعاب، مشحونًا",
        'iphone-ipad': (
            "معرّف Apple ID الخاص بك وكلمة مروره (الذي أعددت به المشاركة العائلية، إن كنت تستخدمها)\n"
            "معرّف Apple ID الخاص بطفلك وكلمة مروره\n"
            "رمز مدة استخدام الجهاز، إن كان قد عُيّن من قبل على iPhone أو iPad الخاص بطفلك"
        ),
        'android': (
            "حسابك على Google وكلمة مروره، من أجل Google Family Link\n"
            "حساب طفلك على Google وكلمة مروره"
        ),
        'consoles': (
            "عنوان البريد الإلكتروني وكلمة المرور لحساب العائلة على جهاز الألعاب: "
            "PlayStation Network أو حساب Microsoft (Xbox) أو Nintendo Account"
        ),
        'discord': "بيانات دخول طفلك إلى Discord: بريده الإلكتروني أو رقم هاتفه، وكلمة المرور",
        'tiktok': (
            "بيانات دخول طفلك إلى TikTok\n"
            "هاتفك أنت وعليه تطبيق TikTok، لربط الحسابين (Family Pairing)"
        ),
        'roblox': "اسم المستخدم وكلمة المرور لحساب طفلك على Roblox",
        'youtube': "حساب Google الذي يستخدمه طفلك على YouTube، وكلمة مروره",
        'snapchat': (
            "بيانات دخول طفلك إلى Snapchat\n"
            "هاتفك أنت وعليه تطبيق Snapchat، من أجل Family Centre"
        ),
        'instagram': (
            "بيانات دخول طفلك إلى Instagram\n"
            "هاتفك أنت وعليه تطبيق Instagram، لإعداد الإشراف"
        ),
        'home-broadband': (
            "كلمة مرور المسؤول لجهاز الراوتر في المنزل (تكون غالبًا على ملصق على الجهاز)، "
            "أو بيانات الدخول إلى حساب الإنترنت المنزلي"
        ),
    },
}


def upgrade():
    with op.batch_alter_table('bring_advice', schema=None, recreate='always') as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=10), nullable=False, server_default='en')
        )
        batch_op.drop_constraint('pk_bring_advice', type_='primary')
        batch_op.create_primary_key('pk_bring_advice', ['topic', 'language'])
    with op.batch_alter_table('guidance_link', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=10), nullable=False, server_default='en')
        )

    advice = sa.table(
        'bring_advice',
        sa.column('topic', sa.String),
        sa.column('language', sa.String),
        sa.column('text', sa.Text),
    )
    english = dict(
        op.get_bind().execute(
            sa.select(advice.c.topic, advice.c.text).where(advice.c.language == 'en')
        ).all()
    )
    unchanged = [topic for topic, text in ENGLISH.items() if english.get(topic) == text]
    rows = [
        {'topic': topic, 'language': language, 'text': texts[topic]}
        for language, texts in BRING.items()
        for topic in unchanged
    ]
    if rows:
        op.bulk_insert(advice, rows)


def downgrade():
    op.execute("DELETE FROM bring_advice WHERE language <> 'en'")
    op.execute("DELETE FROM guidance_link WHERE language <> 'en'")
    with op.batch_alter_table('guidance_link', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('bring_advice', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_bring_advice', type_='primary')
        batch_op.create_primary_key('pk_bring_advice', ['topic'])
        batch_op.drop_column('language')

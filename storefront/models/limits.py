"""Field limits, one constant each: the model's column, the form's validator and the domain's
check all read these, so a longer name cannot pass the form and then fail in the database."""

EMAIL = 254  # the longest address SMTP carries (RFC 5321)
PHONE = 20
PERSON_NAME = 120  # a user's name, an address's recipient
STREET = 255  # an address's street, a cooperative's address

COOPERATIVE_NAME = 200
REGISTRATION_NUMBER = 40
COOPERATIVE_DESCRIPTION = 5000

PRODUCT_NAME = 200  # a listing's name, the product a certificate names, an order line's
LISTING_DESCRIPTION = 10_000
LISTING_SUMMARY_EN = 300  # a listing's optional English short description
ORIGIN_RECORDED = 255
PACKAGE_LABEL = 80
SKU = 60

CERTIFICATE_NUMBER = 80
ISSUING_AUTHORITY = 200

CARRIER = 80
TRACKING_NUMBER = 80

# Listing photos: each is decoded and resized in turn, so a request's cost grows with its count.
LISTING_PHOTOS = 12  # photos of one listing
PHOTOS_PER_UPLOAD = 6  # photos in one upload

# Reviews: plain text, sanitised on the way in and escaped on the way out.
REVIEW_BODY = 4000
REVIEW_ANSWER = 2000
REVIEW_PHOTOS = 5  # photos on one review

"""Officers: clinics and slots, publish, change, cancel, and the officer calendar feed."""

"""Waiting lists of full clinics: joining, held offers of freed places, claiming, passing on."""

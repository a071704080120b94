import Hypertune

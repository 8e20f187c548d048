"""visuals"""
